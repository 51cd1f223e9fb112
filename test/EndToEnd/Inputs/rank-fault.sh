#!/bin/sh
# Run by mpirun for every rank: rank-fault.sh RANK FAULT ARG command...
# runs the command, except on rank RANK, where FAULT happens:
#   kill-after SECONDS  the rank is killed with SIGKILL after SECONDS;
#   model PATH          the rank is given PATH as its model (the first
#                       argument ending in .so is replaced).
rank=$1 fault=$2 arg=$3
shift 3
if [ "${OMPI_COMM_WORLD_RANK:-${PMI_RANK}}" != "$rank" ]; then
  exec "$@"
fi
case $fault in
kill-after)
  (sleep "$arg"; kill -9 $$) &
  exec "$@"
  ;;
model)
  for a in "$@"; do
    shift
    case $a in *.so) a=$arg ;; esac
    set -- "$@" "$a"
  done
  exec "$@"
  ;;
esac
echo "rank-fault.sh: unknown fault $fault" >&2
exit 2
