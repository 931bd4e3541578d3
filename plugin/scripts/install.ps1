# The install and update hook (helm plugin install/update) on Windows, without sh: from a release
# archive (make plugin-dist) keeps bin\stackcheck.exe when bin\PLATFORM names this platform and its
# SHA-256 matches bin\SHA256SUMS; a source tree needs sh and Go (scripts/build.sh).
$ErrorActionPreference = 'Stop'
$dir = if ($env:HELM_PLUGIN_DIR) { $env:HELM_PLUGIN_DIR } else { Split-Path -Parent $PSScriptRoot }
$platformFile = Join-Path $dir 'bin\PLATFORM'
if (-not (Test-Path $platformFile)) {
  Write-Error 'stackcheck: no prebuilt binary in this plugin: install a release archive (stackcheck-<version>-windows-<arch>.tgz), or build from source with sh and Go'
  exit 1
}
$arch = if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { 'arm64' } else { 'amd64' }
$want = (Get-Content $platformFile -Raw).Trim()
if ($want -ne "windows/$arch") {
  Write-Error "stackcheck: this archive is for $want, this machine is windows/$arch"
  exit 1
}
$exe = Join-Path $dir 'bin\stackcheck.exe'
$line = Get-Content (Join-Path $dir 'bin\SHA256SUMS') | Where-Object { $_ -match '\s\*?stackcheck\.exe$' } | Select-Object -First 1
$sum = if ($line) { ($line -split '\s+')[0] } else { '' }
$got = (Get-FileHash -Algorithm SHA256 $exe).Hash.ToLower()
if (-not $sum -or $sum -ne $got) {
  Write-Error 'stackcheck: bin\stackcheck.exe does not match its checksum in bin\SHA256SUMS: refusing it'
  exit 1
}
Write-Output "stackcheck: installed the prebuilt $want binary (sha256 $got)"
