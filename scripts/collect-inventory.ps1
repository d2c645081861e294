<#
.SYNOPSIS
    Writes this machine's kbgap JSON inventory (docs/INVENTORY.md).

.DESCRIPTION
    Collects what kbgap needs to tell which security updates this Windows machine misses,
    for "kbgap ingest":

      - the OS: Win32_OperatingSystem.Caption, and from
        HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion the CurrentBuild, the update
        build revision (UBR) and the release (DisplayVersion, else ReleaseId); the
        architecture; the service pack;
      - the installed updates: Win32_QuickFixEngineering HotFixIDs and, unless
        -NoUpdateHistory, the KBs the Windows Update history shows installed and not since
        removed (Office MSPs and superseded cumulative updates are missing from the first);
      - the installed programs: every entry with a DisplayName under the Uninstall keys of
        both registry views (64-bit and WOW6432Node) of HKLM and of every loaded user hive,
        with the view's bitness ("x64" for the 64-bit view of a 64-bit Windows, "x86" for
        WOW6432Node and 32-bit Windows, none where the view does not say) and the MSI
        product code when the entry's key is one. Installed Office, SQL Server and Exchange
        updates list themselves there ("Security Update for Microsoft Word 2016
        (KB4461543) 64-Bit Edition"); kbgap counts their KBs as installed;
      - a stable id: the MachineGuid of HKLM:\SOFTWARE\Microsoft\Cryptography.

    Runs on Windows PowerShell 2.0 (Windows 7 as shipped) to 5.1 and PowerShell 7, as a
    user or as SYSTEM; nothing is installed or changed. A 32-bit PowerShell on a 64-bit
    Windows restarts itself as 64-bit, so that both registry views are read. The JSON is
    written by this script (PowerShell 2.0 has no ConvertTo-Json), UTF-8 without a byte
    order mark.

.PARAMETER Path
    Where to write: a file, or a folder (the file is then <COMPUTERNAME>.json in it), or "-"
    for standard output. Default: .\<COMPUTERNAME>.json.

.PARAMETER NoUpdateHistory
    Do not read the Windows Update history (it can take a few seconds).

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File collect-inventory.ps1 -Path \\server\inventories\
    kbgap ingest --json \\server\inventories\
#>
[CmdletBinding()]
param(
    [string]$Path,
    [switch]$NoUpdateHistory
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

# A 32-bit PowerShell on a 64-bit Windows sees the 32-bit registry view only: run 64-bit.
if ($env:PROCESSOR_ARCHITEW6432 -and -not $env:KBGAP_COLLECTOR_64) {
    $native = Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe'
    if (Test-Path $native) {
        $env:KBGAP_COLLECTOR_64 = '1'
        $arguments = @('-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', $MyInvocation.MyCommand.Path)
        if ($Path) { $arguments += @('-Path', $Path) }
        if ($NoUpdateHistory) { $arguments += '-NoUpdateHistory' }
        & $native @arguments
        exit $LASTEXITCODE
    }
}

function Get-OsInstance {
    if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) {
        Get-CimInstance -ClassName Win32_OperatingSystem
    } else {
        Get-WmiObject -Class Win32_OperatingSystem
    }
}

function Get-HotFixIds {
    $rows = if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) {
        Get-CimInstance -ClassName Win32_QuickFixEngineering
    } else {
        Get-WmiObject -Class Win32_QuickFixEngineering
    }
    foreach ($row in $rows) {
        # Only KB ids; XP's "File 1" and GUIDs are not updates kbgap can name.
        if ($row.HotFixID -match '^KB(\d+)') { 'KB' + $Matches[1] }
    }
}

# KBs the Windows Update history shows installed (operation 1, result 2 = succeeded) and not
# uninstalled (operation 2) afterwards.
function Get-HistoryKbs {
    $installed = @{}
    try {
        $searcher = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher()
        $count = $searcher.GetTotalHistoryCount()
        if ($count -gt 0) {
            $entries = @($searcher.QueryHistory(0, $count))
            # Newest first: walk it backwards so a later removal wins.
            for ($i = $entries.Count - 1; $i -ge 0; $i--) {
                $entry = $entries[$i]
                if ($entry.ResultCode -ne 2 -or $entry.Title -notmatch '\(KB(\d+)\)') { continue }
                $kb = 'KB' + $Matches[1]
                if ($entry.Operation -eq 1) { $installed[$kb] = $true }
                elseif ($entry.Operation -eq 2) { $installed.Remove($kb) }
            }
        }
    } catch {
        Write-Warning "Windows Update history not read: $($_.Exception.Message)"
    }
    $installed.Keys
}

function Get-Property($item, [string]$name) {
    $property = $item.PSObject.Properties[$name]
    if ($null -eq $property -or $null -eq $property.Value) { return $null }
    $text = ([string]$property.Value).Trim()
    if ($text -eq '') { return $null }
    $text
}

# Uninstall entries under one registry key, tagged with the bitness its view stands for.
function Get-UninstallEntries([string]$key, $architecture) {
    if (-not (Test-Path -LiteralPath $key)) { return }
    foreach ($sub in @(Get-ChildItem -LiteralPath $key -ErrorAction SilentlyContinue)) {
        try {
            $item = Get-ItemProperty -LiteralPath $sub.PSPath -ErrorAction Stop
        } catch {
            continue
        }
        $name = Get-Property $item 'DisplayName'
        if ($null -eq $name) { continue }
        $code = $null
        if ($sub.PSChildName -match '^\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}$') {
            $code = $sub.PSChildName.ToUpperInvariant()
        }
        New-Object PSObject -Property @{
            name         = $name
            version      = Get-Property $item 'DisplayVersion'
            publisher    = Get-Property $item 'Publisher'
            architecture = $architecture
            productCode  = $code
        }
    }
}

function ConvertTo-JsonText($value) {
    if ($null -eq $value) { return 'null' }
    if ($value -is [bool]) { if ($value) { return 'true' } else { return 'false' } }
    if ($value -is [int] -or $value -is [long] -or $value -is [uint32]) { return [string]$value }
    $builder = New-Object System.Text.StringBuilder
    [void]$builder.Append('"')
    foreach ($c in ([string]$value).ToCharArray()) {
        $code = [int]$c
        if ($c -eq '"') { [void]$builder.Append('\"') }
        elseif ($c -eq '\') { [void]$builder.Append('\\') }
        elseif ($code -lt 0x20) { [void]$builder.Append(('\u{0:x4}' -f $code)) }
        else { [void]$builder.Append($c) }
    }
    [void]$builder.Append('"')
    $builder.ToString()
}

$cv = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$os = Get-OsInstance
$build = Get-Property $cv 'CurrentBuild'
if ($null -eq $build) { $build = Get-Property $cv 'CurrentBuildNumber' }
$revision = Get-Property $cv 'UBR'
$release = Get-Property $cv 'DisplayVersion'
if ($null -eq $release) { $release = Get-Property $cv 'ReleaseId' }
$architecture = $env:PROCESSOR_ARCHITECTURE
if ($env:PROCESSOR_ARCHITEW6432) { $architecture = $env:PROCESSOR_ARCHITEW6432 }
$machineGuid = Get-Property (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Cryptography') 'MachineGuid'

$kbs = @(Get-HotFixIds)
if (-not $NoUpdateHistory) { $kbs += @(Get-HistoryKbs) }
$kbs = @($kbs | Sort-Object -Unique)

# The 64-bit view of a 64-bit Windows holds 64-bit MSI products; ARM64's native view mixes
# ARM64 and x64 products, so it says nothing.
$nativeView = switch ($architecture) { 'AMD64' { 'x64' } 'x86' { 'x86' } default { $null } }
$views = @(
    @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', $nativeView),
    @('HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall', 'x86')
)
foreach ($hive in @(Get-ChildItem -LiteralPath 'Registry::HKEY_USERS' -ErrorAction SilentlyContinue)) {
    if ($hive.PSChildName -notmatch '^S-1-5-21-[\d-]+$') { continue }
    $root = 'Registry::HKEY_USERS\' + $hive.PSChildName
    $views += ,@("$root\Software\Microsoft\Windows\CurrentVersion\Uninstall", $null)
    $views += ,@("$root\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall", 'x86')
}
$seen = @{}
$applications = @()
foreach ($view in $views) {
    foreach ($entry in @(Get-UninstallEntries $view[0] $view[1])) {
        $key = '{0}|{1}|{2}|{3}' -f $entry.name, $entry.version, $entry.architecture, $entry.productCode
        if ($seen.ContainsKey($key)) { continue }
        $seen[$key] = $true
        $applications += $entry
    }
}

$lines = New-Object System.Collections.Generic.List[string]
$lines.Add('{')
$lines.Add('  "id": ' + (ConvertTo-JsonText $machineGuid) + ',')
$lines.Add('  "host": ' + (ConvertTo-JsonText $env:COMPUTERNAME) + ',')
$lines.Add('  "os": {')
$caption = ([string]$os.Caption).Trim()
$lines.Add('    "name": ' + (ConvertTo-JsonText $caption) + ',')
$lines.Add('    "build": ' + (ConvertTo-JsonText $build) + ',')
$lines.Add('    "revision": ' + (ConvertTo-JsonText $revision) + ',')
$lines.Add('    "release": ' + (ConvertTo-JsonText $release) + ',')
$lines.Add('    "architecture": ' + (ConvertTo-JsonText $architecture) + ',')
$lines.Add('    "servicePack": ' + (ConvertTo-JsonText ([int]$os.ServicePackMajorVersion)))
$lines.Add('  },')
$lines.Add('  "installedKbs": [' + ((@($kbs | ForEach-Object { ConvertTo-JsonText $_ })) -join ', ') + '],')
$lines.Add('  "applications": [')
for ($i = 0; $i -lt $applications.Count; $i++) {
    $a = $applications[$i]
    $line = '    {"name": ' + (ConvertTo-JsonText $a.name) +
        ', "version": ' + (ConvertTo-JsonText $a.version) +
        ', "publisher": ' + (ConvertTo-JsonText $a.publisher) +
        ', "architecture": ' + (ConvertTo-JsonText $a.architecture) +
        ', "productCode": ' + (ConvertTo-JsonText $a.productCode) + '}'
    if ($i -lt $applications.Count - 1) { $line += ',' }
    $lines.Add($line)
}
$lines.Add('  ],')
$lines.Add('  "collector": {"name": "kbgap collect-inventory.ps1", "version": 1, "collectedAt": ' +
    (ConvertTo-JsonText ([DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ'))) + '}')
$lines.Add('}')
$json = [string]::Join("`n", $lines.ToArray()) + "`n"

if ($Path -eq '-') {
    [Console]::Out.Write($json)
    exit 0
}
if (-not $Path) { $Path = '.' }
if (Test-Path -LiteralPath $Path -PathType Container) {
    $Path = Join-Path $Path ($env:COMPUTERNAME + '.json')
}
if (-not [System.IO.Path]::IsPathRooted($Path)) { $Path = Join-Path (Get-Location).ProviderPath $Path }
$full = [System.IO.Path]::GetFullPath($Path)
[System.IO.File]::WriteAllText($full, $json, (New-Object System.Text.UTF8Encoding($false)))
Write-Host "kbgap inventory written to $full ($($kbs.Count) updates, $($applications.Count) programs)"
