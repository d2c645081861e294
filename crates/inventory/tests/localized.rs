//! `systeminfo` in display languages and OEM code pages the real files of the repository do
//! not cover: Russian (CP866), Japanese (CP932), Simplified Chinese (CP936) and Korean
//! (CP949), written the way cmd.exe writes them. Each is made from a real English output by
//! putting Windows' localized labels and the values Windows localizes (OS name words, "N/A
//! Build", dates, counts, memory, network lines) in place, padding labels to one display
//! width as systeminfo does (a full-width character takes two columns), and encoding with the
//! language's OEM code page. The parse must give the machine the English file gives: the
//! parser reads values by their shapes and the fixed field order, never the labels.

use std::path::PathBuf;

use encoding_rs::{EUC_KR, Encoding, GBK, IBM866, SHIFT_JIS};
use kbgap_domain::MachineInventory;

fn english(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    String::from_utf8(std::fs::read(path).unwrap()).expect("an ASCII English file")
}

struct Language {
    name: &'static str,
    encoding: &'static Encoding,
    /// The 33 labels of systeminfo, in its fixed order (Windows 7 has no Hyper-V line).
    labels: [&'static str; 33],
    /// English text -> the localized text Windows writes in values.
    values: &'static [(&'static str, &'static str)],
}

const RUSSIAN: Language = Language {
    name: "ru-ru, CP866",
    encoding: IBM866,
    labels: [
        "Имя узла",
        "Название ОС",
        "Версия ОС",
        "Изготовитель ОС",
        "Параметры ОС",
        "Сборка ОС",
        "Зарегистрированный владелец",
        "Зарегистрированная организация",
        "Код продукта",
        "Дата установки",
        "Время загрузки системы",
        "Изготовитель системы",
        "Модель системы",
        "Тип системы",
        "Процессор(ы)",
        "Версия BIOS",
        "Папка Windows",
        "Системная папка",
        "Устройство загрузки",
        "Язык системы",
        "Язык ввода",
        "Часовой пояс",
        "Полный объем физической памяти",
        "Доступная физическая память",
        "Виртуальная память: Макс. размер",
        "Виртуальная память: Доступна",
        "Виртуальная память: Используется",
        "Расположение файла подкачки",
        "Домен",
        "Сервер входа в сеть",
        "Исправление(я)",
        "Сетевые адаптеры",
        "Требования Hyper-V",
    ],
    values: &[
        ("Microsoft Windows", "Майкрософт Windows"),
        ("N/A Build", "Н/Д построение"),
        ("Build", "построение"),
        ("Microsoft Corporation", "Корпорация Майкрософт"),
        ("Standalone Server", "Изолированный сервер"),
        ("Standalone Workstation", "Изолированная рабочая станция"),
        ("Windows User", "Пользователь Windows"),
        ("Processor(s) Installed.", "Число процессоров -"),
        ("Hotfix(s) Installed.", "Число установленных исправлений -"),
        ("NIC(s) Installed.", "Число сетевых адаптеров -"),
        ("Connection Name:", "Имя подключения:"),
        ("DHCP Enabled:", "DHCP включен:"),
        ("DHCP Server:", "DHCP-сервер:"),
        ("IP address(es)", "IP-адрес"),
        ("Yes", "Да"),
        (" MB", " МБ"),
        ("2,047", "2 047"),
        (" PM", ""),
        (" AM", ""),
        (
            "A hypervisor has been detected. Features required for Hyper-V will not be displayed.",
            "Обнаружена низкоуровневая оболочка. Функции, необходимые для Hyper-V, отображены не будут.",
        ),
    ],
};

const JAPANESE: Language = Language {
    name: "ja-jp, CP932",
    encoding: SHIFT_JIS,
    labels: [
        "ホスト名",
        "OS 名",
        "OS バージョン",
        "OS 製造元",
        "OS 構成",
        "OS ビルドの種類",
        "登録されている所有者",
        "登録されている組織",
        "プロダクト ID",
        "最初のインストール日付",
        "システム起動時間",
        "システム製造元",
        "システム モデル",
        "システムの種類",
        "プロセッサ",
        "BIOS バージョン",
        "Windows ディレクトリ",
        "システム ディレクトリ",
        "起動デバイス",
        "システム ロケール",
        "入力ロケール",
        "タイム ゾーン",
        "物理メモリの合計",
        "利用できる物理メモリ",
        "仮想メモリ: 最大サイズ",
        "仮想メモリ: 利用可能",
        "仮想メモリ: 使用中",
        "ページ ファイルの場所",
        "ドメイン",
        "ログオン サーバー",
        "ホットフィックス",
        "ネットワーク カード",
        "Hyper-V の要件",
    ],
    values: &[
        ("Build", "ビルド"),
        ("Standalone Server", "スタンドアロン サーバー"),
        (
            "Standalone Workstation",
            "スタンドアロン ワークステーション",
        ),
        ("Windows User", "Windows ユーザー"),
        (
            "Processor(s) Installed.",
            "プロセッサインストール済みです。",
        ),
        (
            "Hotfix(s) Installed.",
            "ホットフィックスがインストールされています。",
        ),
        ("NIC(s) Installed.", "NIC(s) インストール済みです。"),
        ("Connection Name:", "接続名:"),
        ("DHCP Enabled:", "DHCP が有効:"),
        ("DHCP Server:", "DHCP サーバー:"),
        ("IP address(es)", "IP アドレス"),
        ("Yes", "はい"),
        (
            "A hypervisor has been detected. Features required for Hyper-V will not be displayed.",
            "ハイパーバイザーが検出されました。Hyper-V に必要な機能は表示されません。",
        ),
    ],
};

const CHINESE: Language = Language {
    name: "zh-cn, CP936",
    encoding: GBK,
    labels: [
        "主机名",
        "OS 名称",
        "OS 版本",
        "OS 制造商",
        "OS 配置",
        "OS 构件类型",
        "注册的所有人",
        "注册的组织",
        "产品 ID",
        "初始安装日期",
        "系统启动时间",
        "系统制造商",
        "系统型号",
        "系统类型",
        "处理器",
        "BIOS 版本",
        "Windows 目录",
        "系统目录",
        "启动设备",
        "系统区域设置",
        "输入法区域设置",
        "时区",
        "物理内存总量",
        "可用的物理内存",
        "虚拟内存: 最大值",
        "虚拟内存: 可用",
        "虚拟内存: 使用中",
        "页面文件位置",
        "域",
        "登录服务器",
        "修补程序",
        "网卡",
        "Hyper-V 要求",
    ],
    values: &[
        ("N/A", "暂缺"),
        ("Standalone Server", "独立服务器"),
        ("Standalone Workstation", "独立工作站"),
        ("Processor(s) Installed.", "个处理器。"),
        ("Hotfix(s) Installed.", "个修补程序。"),
        ("NIC(s) Installed.", "个 NIC。"),
        ("Connection Name:", "连接名:"),
        ("DHCP Enabled:", "启用 DHCP:"),
        ("DHCP Server:", "DHCP 服务器:"),
        ("IP address(es)", "IP 地址"),
        ("Yes", "是"),
        (
            "A hypervisor has been detected. Features required for Hyper-V will not be displayed.",
            "已检测到虚拟机监控程序。将不显示 Hyper-V 所需的功能。",
        ),
    ],
};

const KOREAN: Language = Language {
    name: "ko-kr, CP949",
    encoding: EUC_KR,
    labels: [
        "호스트 이름",
        "OS 이름",
        "OS 버전",
        "OS 제조업체",
        "OS 구성",
        "OS 빌드 종류",
        "등록된 소유자",
        "등록된 조직",
        "제품 ID",
        "원래 설치 날짜",
        "시스템 부트 시간",
        "시스템 제조업체",
        "시스템 모델",
        "시스템 종류",
        "프로세서",
        "BIOS 버전",
        "Windows 디렉터리",
        "시스템 디렉터리",
        "부팅 장치",
        "시스템 로캘",
        "입력 로캘",
        "표준 시간대",
        "총 실제 메모리",
        "사용 가능한 실제 메모리",
        "가상 메모리: 최대 크기",
        "가상 메모리: 사용 가능",
        "가상 메모리: 사용 중",
        "페이지 파일 위치",
        "도메인",
        "로그온 서버",
        "핫픽스",
        "네트워크 카드",
        "Hyper-V 요구 사항",
    ],
    values: &[
        ("Build", "빌드"),
        ("Standalone Server", "독립 실행형 서버"),
        ("Standalone Workstation", "독립 실행형 워크스테이션"),
        ("Processor(s) Installed.", "프로세서가 설치되었습니다."),
        ("Hotfix(s) Installed.", "핫픽스가 설치되었습니다."),
        ("NIC(s) Installed.", "NIC가 설치되었습니다."),
        ("Connection Name:", "연결 이름:"),
        ("DHCP Enabled:", "DHCP 사용:"),
        ("DHCP Server:", "DHCP 서버:"),
        ("IP address(es)", "IP 주소"),
        ("Yes", "예"),
        (" PM", ""),
        (" AM", ""),
        (
            "A hypervisor has been detected. Features required for Hyper-V will not be displayed.",
            "하이퍼바이저가 검색되었습니다. Hyper-V에 필요한 기능이 표시되지 않습니다.",
        ),
    ],
};

/// The columns a character takes in a console: two for full-width (CJK) characters.
fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// The English output with `language`'s labels and values, padded as systeminfo pads.
fn localize(english: &str, language: &Language) -> String {
    // English systeminfo puts every value at column 27.
    const VALUE_COLUMN: usize = 27;
    let width = language.labels.iter().map(|l| columns(l)).max().unwrap() + 2;
    let mut labels = language.labels.iter();
    let mut out = String::new();
    for line in english.split("\r\n") {
        let localized = if !line.is_empty() && !line.starts_with(' ') {
            let label = labels.next().expect("at most 33 labels");
            let value = line.get(VALUE_COLUMN..).unwrap_or("");
            let head = format!("{label}:");
            format!("{head}{}{value}", " ".repeat(width - columns(&head)))
        } else if let Some(rest) = line.strip_prefix(&" ".repeat(VALUE_COLUMN)) {
            format!("{}{rest}", " ".repeat(width))
        } else {
            line.to_string()
        };
        out.push_str(&localized);
        out.push_str("\r\n");
    }
    for (english, local) in language.values {
        out = out.replace(english, local);
    }
    out
}

fn machine(bytes: &[u8]) -> MachineInventory {
    match kbgap_inventory::parse(bytes) {
        Ok(kbgap_inventory::Parsed::Machines(mut machines)) if machines.len() == 1 => {
            machines.pop().unwrap()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn localized_systeminfo_in_oem_code_pages_parses_like_the_english_one() {
    for file in [
        "srv_2019_rtm_datacenter_en-us_systeminfo.txt",
        "10_1809_x64_education_en-us_systeminfo.txt",
        "7_sp1_x86_enterprise_en-us_systeminfo.txt",
    ] {
        let english = english(file);
        let expected = machine(english.as_bytes());
        for language in [&RUSSIAN, &JAPANESE, &CHINESE, &KOREAN] {
            let text = localize(&english, language);
            let (bytes, _, unmappable) = language.encoding.encode(&text);
            assert!(!unmappable, "{}: all of it encodes", language.name);
            assert_ne!(
                bytes.as_ref(),
                text.as_bytes(),
                "{}: not ASCII",
                language.name
            );
            let got = machine(&bytes);
            let what = format!("{file} in {}", language.name);
            assert_eq!(got.host, expected.host, "{what}");
            assert_eq!(got.id(), expected.id(), "{what}");
            assert_eq!(got.os.family, expected.os.family, "{what}");
            assert_eq!(got.os.release, expected.os.release, "{what}");
            assert_eq!(got.os.build, expected.os.build, "{what}");
            assert_eq!(got.os.arch, expected.os.arch, "{what}");
            assert_eq!(got.os.service_pack, expected.os.service_pack, "{what}");
            assert_eq!(got.installed_kbs, expected.installed_kbs, "{what}");
            assert!(!got.installed_kbs.is_empty(), "{what}");
        }
    }
}
