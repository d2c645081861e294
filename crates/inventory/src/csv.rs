//! The little CSV that `systeminfo /fo csv`, `wmic ... /format:csv` and `Export-Csv` write:
//! comma-separated cells, optionally quoted, `""` for a quote inside quotes, line breaks
//! allowed inside quotes. Hand-written because it is this small and must never panic.

/// One CSV record and the line it starts on.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub line: usize,
    pub cells: Vec<String>,
}

/// All non-empty records of `text`.
pub(crate) fn records(text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut started = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    cell.push(c);
                }
            }
            continue;
        }
        if !started && c != '\r' && c != '\n' {
            started = true;
            start_line = line;
        }
        match c {
            '"' => quoted = true,
            ',' => cells.push(std::mem::take(&mut cell)),
            '\r' => {}
            '\n' => {
                if started {
                    cells.push(std::mem::take(&mut cell));
                    out.push(Record {
                        line: start_line,
                        cells: std::mem::take(&mut cells),
                    });
                }
                started = false;
                line += 1;
            }
            _ => cell.push(c),
        }
    }
    if started {
        cells.push(cell);
        out.push(Record {
            line: start_line,
            cells,
        });
    }
    out.retain(|r| !(r.cells.len() == 1 && r.cells[0].trim().is_empty()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_cells_commas_and_line_numbers() {
        let r = records("\r\n\"a\",\"b,c\",\"d\"\"e\"\r\n\r\nx,,z\r\n");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].line, 2);
        assert_eq!(r[0].cells, vec!["a", "b,c", "d\"e"]);
        assert_eq!(r[1].line, 4);
        assert_eq!(r[1].cells, vec!["x", "", "z"]);
    }
}
