# Helpers to assemble a minimal root filesystem from this machine's own files, for images built OFFLINE
# (no base image is ever pulled). Source this file; functions write under the rootfs folder given as $1.
#
#   rootfs_init ROOT              skeleton: /bin /lib /lib64 /usr/bin /tmp (1777) /etc/passwd,group /workspace
#   rootfs_add_file ROOT PATH     copy PATH (symlinks resolved) to the same path inside ROOT
#   rootfs_add_binary ROOT PATH   copy an ELF executable or shared object and every library `ldd` lists for it
#   rootfs_import ROOT TAG [--change ...]   tar the folder and `docker import` it as TAG (needs DOCKER_HOST)

rootfs_init() {
  local root="$1"
  mkdir -p "$root"/{bin,lib,lib64,usr/bin,usr/local/bin,etc,tmp,workspace/inputs,workspace/outputs,proc,sys,dev}
  chmod 1777 "$root/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
}

rootfs_add_file() {
  local root="$1" src="$2" real
  real="$(readlink -f "$src")"
  mkdir -p "$root$(dirname "$src")"
  cp -p "$real" "$root$src"
  # keep the resolved name too when it differs (e.g. libstdc++.so.6 -> libstdc++.so.6.0.30)
  if [ "$real" != "$src" ] && [ ! -e "$root$real" ]; then
    mkdir -p "$root$(dirname "$real")"
    cp -p "$real" "$root$real"
  fi
}

rootfs_add_binary() {
  local root="$1" bin="$2" lib
  rootfs_add_file "$root" "$bin"
  # ldd prints "name => /path (addr)" or "/lib64/ld-linux... (addr)"; vdso has no file
  for lib in $(ldd "$bin" 2>/dev/null | awk '/=>/ { if ($3 ~ /^\//) print $3; next } /^\t\// { print $1 }'); do
    [ -e "$root$lib" ] || rootfs_add_file "$root" "$lib"
  done
}

rootfs_import() {
  local root="$1" tag="$2"
  shift 2
  tar --numeric-owner -C "$root" -cf - . | docker import "$@" - "$tag" >/dev/null
}
