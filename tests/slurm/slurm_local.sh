#!/usr/bin/env bash
# A real single-node Slurm cluster on this Debian host, for tests/test_slurm.py (works without
# systemd, e.g. in a container). Modelled on ../shared/tools/slurm_local.sh.
#
#   bash tests/slurm/slurm_local.sh start    install (apt, once) and start the daemons
#   bash tests/slurm/slurm_local.sh stop     stop exactly the daemons this script started
#   bash tests/slurm/slurm_local.sh status
#
# Environment:
#   SLURM_LOCAL_STATE  directory for PID files and daemon logs (default $TMPDIR/slurm-local);
#                      `stop` only stops daemons whose PID file is in it.
#   ACCT=slurmdbd      MariaDB + slurmdbd, so `sacct` (the plugin's default status command)
#                      works and the test can read the job records (default).
#   ACCT=none          no accounting: sacct fails, use `slurm-status-command: squeue`.
#   FAKE_GPU=1         node advertises two GRES gpus (/dev/null, /dev/zero), so `--gpus=1` schedules
#                      (default 1).
# Partitions: `debug` (default) and `mlptheory` (not default, so a test can prove that the
# profile's slurm_partition reached sbatch). Account `mlptheory` exists for root (slurmdbd).
# Verified: Debian 12, slurm 22.05.8, munge 0.5.15, MariaDB 10.11,
#           snakemake 9.27.1, snakemake-executor-plugin-slurm 2.8.0.
set -euo pipefail
ACTION=${1:-start}
ACCT=${ACCT:-slurmdbd}
FAKE_GPU=${FAKE_GPU:-1}
STATE=${SLURM_LOCAL_STATE:-${TMPDIR:-/tmp}/slurm-local}
mkdir -p "$STATE"
HOST=$(hostname -s)
CPUS=${SLURM_LOCAL_CPUS:-$(nproc)}   # more than nproc oversubscribes (short jobs wait on I/O)
MEM=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 1024 ))

CONF_MARK="# written by tests/slurm/slurm_local.sh start"
running() { [[ -f "$STATE/$1.pid" ]] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }
stop_pid() { # stop a daemon we started, by the PID file we wrote; wait until it is gone
  local f="$STATE/$1.pid" pid
  if running "$1"; then
    pid=$(cat "$f")
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$f"
}

case $ACTION in
  stop)
    for d in slurmd slurmctld slurmdbd mariadbd munged; do stop_pid $d; done
    # With its controller gone, the configuration written by `start` would make every Slurm
    # client wait ~9 s for it (scontrol; the Slurm executor plugin runs `scontrol show config`
    # whenever snakemake starts): it goes beside the daemons' logs.
    if grep -qs "^$CONF_MARK" /etc/slurm/slurm.conf; then mv /etc/slurm/slurm.conf "$STATE/"; fi
    exit 0 ;;
  status)
    for d in munged mariadbd slurmdbd slurmctld slurmd; do
      if running $d; then echo "$d up ($(cat "$STATE/$d.pid"))"; else echo "$d down"; fi
    done
    sinfo || true
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

for d in munged mariadbd slurmdbd slurmctld slurmd; do
  if ! running $d && pgrep -x "$d" >/dev/null; then
    echo "a $d not started by this script is already running; refusing to reconfigure it" >&2
    exit 3
  fi
done

# 1. packages (Debian 12 ships Slurm 22.05.8)
PKGS="munge slurmctld slurmd slurm-client"
[[ $ACCT == slurmdbd ]] && PKGS="$PKGS slurmdbd mariadb-server"
if ! dpkg -s $PKGS >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
fi

# 2. munge (the Debian package creates the key; make one if missing)
[[ -s /etc/munge/munge.key ]] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! running munged; then
  runuser -u munge -- /usr/sbin/munged --force   # forks into the background
  for _ in $(seq 20); do pgrep -u munge -x munged -n > "$STATE/munged.pid" && break; sleep 0.2; done
fi
munge -n | unmunge | grep -q 'STATUS: *Success'

# 3. directories
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm /etc/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm

# 4. accounting
case $ACCT in
  none) ACCT_CONF="AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none" ;;
  slurmdbd) ACCT_CONF="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none" ;;
  *) echo "ACCT must be slurmdbd or none, not $ACCT" >&2; exit 2 ;;
esac

GRES_NODE=""; GRES_TYPES=""
if [[ $FAKE_GPU == 1 ]]; then
  # two GPUs (no device files: scheduling only), so GPU jobs are not all serialized
  GRES_TYPES="GresTypes=gpu"; GRES_NODE="Gres=gpu:2"
  printf 'NodeName=%s Name=gpu File=/dev/null\nNodeName=%s Name=gpu File=/dev/zero\n' \
    "$HOST" "$HOST" > /etc/slurm/gres.conf
else
  rm -f /etc/slurm/gres.conf
fi

cat > /etc/slurm/slurm.conf <<CONF
$CONF_MARK (moved away again by its stop)
ClusterName=local
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# no cgroups in containers
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
DefMemPerCPU=1000
$GRES_TYPES
$ACCT_CONF
$( (( CPUS > $(nproc) )) && echo "SlurmdParameters=config_overrides" )
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM $GRES_NODE State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=mlptheory Nodes=$HOST Default=NO MaxTime=INFINITE State=UP
CONF

# 5. slurmdbd + MariaDB
if [[ $ACCT == slurmdbd ]]; then
  if ! running mariadbd; then
    mkdir -p /run/mysqld; chown mysql:mysql /run/mysqld
    [[ -d /var/lib/mysql/mysql ]] || mariadb-install-db --user=mysql >/dev/null
    runuser -u mysql -- /usr/sbin/mariadbd --datadir=/var/lib/mysql \
        --socket=/run/mysqld/mysqld.sock --bind-address=127.0.0.1 > "$STATE/mariadbd.log" 2>&1 &
    echo $! > "$STATE/mariadbd.pid"
    for _ in $(seq 60); do mariadb -e 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
PidFile=/run/slurm/slurmdbd.pid
LogFile=/var/log/slurm/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=slurmpw
CONF
  chown slurm:slurm /etc/slurm/slurmdbd.conf; chmod 600 /etc/slurm/slurmdbd.conf
  if ! running slurmdbd; then
    /usr/sbin/slurmdbd -D > "$STATE/slurmdbd.log" 2>&1 &
    echo $! > "$STATE/slurmdbd.pid"
    for _ in $(seq 60); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  sacctmgr -i add cluster local >/dev/null 2>&1 || true
  sacctmgr -i add account mlptheory Description=tests Organization=local >/dev/null 2>&1 || true
  sacctmgr -i add user root Account=mlptheory >/dev/null 2>&1 || true
fi

# 6. slurmctld + slurmd in the foreground (-D), backgrounded so that we own the PID
if ! running slurmctld; then
  /usr/sbin/slurmctld -D -i > "$STATE/slurmctld.log" 2>&1 &   # -i: ignore stale state
  echo $! > "$STATE/slurmctld.pid"
else
  scontrol reconfigure || true
fi
for _ in $(seq 40); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
if ! running slurmd; then
  /usr/sbin/slurmd -D > "$STATE/slurmd.log" 2>&1 &
  echo $! > "$STATE/slurmd.pid"
fi
for _ in $(seq 60); do sinfo -h -o %t | grep -qE '^(idle|mix|alloc)' && break; sleep 0.5; done
scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true
sinfo -h -o %t | grep -qE '^(idle|mix|alloc)' || { echo "node did not come up" >&2; sinfo >&2; exit 4; }
sinfo
