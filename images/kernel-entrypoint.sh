#!/bin/sh
# Berth kernel entrypoint: runs under tini (PID 1) in every Berth image and starts one Jupyter kernel
# with the connection info the gateway provides, in one of two ways:
#
#   BERTH_CONNECTION_FILE=/path/connection.json   a file mounted or copied into the container
#   BERTH_CONNECTION_INFO='{"ip":…,"key":…}'      the connection JSON itself (written to a 0600 file here)
#
# BERTH_KERNEL_LANGUAGE picks the kernel: python (ipykernel, the default) or r (IRkernel);
# BERTH_KERNEL_IP, when set, is the address the kernel binds instead of the file's "ip";
# BERTH_KERNEL_INTERRUPT=message (Kubernetes pods, which cannot be signalled) puts R behind
# r-control-bridge.py, which turns interrupt_request into SIGINT.
# Arguments, when given, are run instead of a kernel (e.g. `docker run IMAGE python3 -c …`).
set -eu

if [ "$#" -gt 0 ]; then
  exec "$@"
fi

die() {
  echo "berth-kernel-entrypoint: $*" >&2
  exit 64
}

if [ -n "${BERTH_CONNECTION_FILE:-}" ]; then
  [ -r "$BERTH_CONNECTION_FILE" ] || die "BERTH_CONNECTION_FILE=$BERTH_CONNECTION_FILE is not a readable file"
  connection_file=$BERTH_CONNECTION_FILE
  # ipykernel rewrites its connection file: a read-only one (e.g. bind-mounted by the gateway) is
  # copied to a private file first.
  if [ ! -w "$connection_file" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-kernel.XXXXXX")
    (umask 077 && cat "$BERTH_CONNECTION_FILE" >"$dir/connection.json")
    connection_file="$dir/connection.json"
  fi
elif [ -n "${BERTH_CONNECTION_INFO:-}" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-kernel.XXXXXX")
  connection_file="$dir/connection.json"
  (umask 077 && printf '%s\n' "$BERTH_CONNECTION_INFO" >"$connection_file")
  # The key is in the file now; keep it out of the kernel's environment (and its subprocesses').
  unset BERTH_CONNECTION_INFO
else
  die "set BERTH_CONNECTION_FILE (a connection file path) or BERTH_CONNECTION_INFO (the connection JSON)"
fi

# BERTH_KERNEL_IP (a Kubernetes pod's status.podIP) replaces the file's "ip": the kernel binds its
# pod's address rather than every interface, which matters where pods share the node's network.
if [ -n "${BERTH_KERNEL_IP:-}" ]; then
  case "$BERTH_KERNEL_IP" in
    *[!0-9A-Fa-f.:]*) die "BERTH_KERNEL_IP=$BERTH_KERNEL_IP is not an IP address" ;;
  esac
  dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-kernel.XXXXXX")
  (umask 077 && sed "s/\"ip\": *\"[^\"]*\"/\"ip\": \"$BERTH_KERNEL_IP\"/" "$connection_file" >"$dir/connection.json")
  connection_file="$dir/connection.json"
fi

case "${BERTH_KERNEL_LANGUAGE:-python}" in
  python)
    exec /usr/bin/python3 -m ipykernel_launcher -f "$connection_file"
    ;;
  r)
    command -v R >/dev/null 2>&1 || die "BERTH_KERNEL_LANGUAGE=r but R is not installed in this image (build it with the R layer)"
    # IRkernel answers no interrupt_request: where interrupts come by message, a bridge answers it.
    if [ "${BERTH_KERNEL_INTERRUPT:-signal}" = message ]; then
      exec /usr/bin/python3 /usr/local/lib/berth/r-control-bridge.py "$connection_file"
    fi
    exec R --slave -e 'IRkernel::main()' --args "$connection_file"
    ;;
  *)
    die "BERTH_KERNEL_LANGUAGE=${BERTH_KERNEL_LANGUAGE} is not supported (python or r)"
    ;;
esac
