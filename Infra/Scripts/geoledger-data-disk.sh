#!/bin/bash
# Mounts this node's managed data disk (LUN 0) at /var/lib/geoledger, formatting it only when it is
# provably blank. Exits non-zero (so cloud-init never starts the service) when it cannot mount it.
# SCSI VM sizes expose LUN 0 as /dev/disk/azure/scsi1/lun0, NVMe sizes as /dev/disk/azure/data/by-lun/0.
# The GEOLEDGER_DATA_* variables exist for the tests, which run it on a loop device.
set -euo pipefail
read -r -a candidates <<< "${GEOLEDGER_DATA_DISKS:-/dev/disk/azure/scsi1/lun0 /dev/disk/azure/data/by-lun/0}"
dir="${GEOLEDGER_DATA_DIR:-/var/lib/geoledger}"
fstab="${GEOLEDGER_DATA_FSTAB:-/etc/fstab}"
owner="${GEOLEDGER_DATA_OWNER:-geoledger:geoledger}"
wait_seconds="${GEOLEDGER_DATA_WAIT_SECONDS:-180}"

disk=""
for ((waited = 0; ; waited += 2)); do
  for candidate in "${candidates[@]}"; do
    if [ -e "$candidate" ]; then disk="$(readlink -f "$candidate")"; break 2; fi
  done
  if [ "$waited" -ge "$wait_seconds" ]; then
    echo "geoledger: no data disk at ${candidates[*]} after ${wait_seconds}s" >&2
    exit 1
  fi
  sleep 2
done

# Blank means: blkid's low-level probe finds nothing at all (exit 2, not an error or an ambivalent
# result) and the first MiB is zeros, as on a new empty managed disk. Anything else is kept.
blank() {
  local rc=0
  blkid -p "$1" >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] && cmp -s -n 1048576 "$1" /dev/zero
}

if blank "$disk"; then
  mkfs.ext4 -q -L geoledger-data "$disk"
fi
fstype="$(blkid -p -s TYPE -o value "$disk" || true)"
if [ "$fstype" != ext4 ]; then
  echo "geoledger: $disk holds '${fstype:-unknown data}', not an ext4 file system; not formatting a disk that is not blank" >&2
  exit 1
fi
uuid="$(blkid -p -s UUID -o value "$disk")"
mkdir -p "$dir"
if ! grep -q "^UUID=$uuid " "$fstab"; then
  echo "UUID=$uuid $dir ext4 defaults,nofail,x-systemd.device-timeout=60s 0 2" >> "$fstab"
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
mountpoint -q "$dir" || mount -T "$fstab" "$dir"
mountpoint -q "$dir" || { echo "geoledger: $dir is not a mount point after mounting $disk" >&2; exit 1; }
chown "$owner" "$dir"
chmod 0750 "$dir"
