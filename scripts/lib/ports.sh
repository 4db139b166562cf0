# Sourced by scripts/fuzz and bench/lib/common.sh: here, not in bench/lib, because scripts/ must not depend on bench/.
# free_port: prints a TCP port on 127.0.0.1 that is free now (the kernel's pick; scripts/chaos.d/cluster.py has the Python twin).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
