# Harmless Python activity recorded under strace (see record.sh): file reads and writes,
# a fork, a failing TCP connect to TEST-NET, a UDP datagram to port 53.
import os, socket, sys
work = sys.argv[1]
open('/etc/hostname').read()
with open(os.path.join(work, 'py.txt'), 'w') as f:
    f.write('x')
pid = os.fork()
if pid == 0:
    os.execv('/bin/true', ['true'])
os.waitpid(pid, 0)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect(('192.0.2.10', 443))
except OSError:
    pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.sendto(b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04pypi\x07example\x00\x00\x1c\x00\x01', ('192.0.2.10', 53))
except OSError:
    pass
os.unlink(os.path.join(work, 'py.txt'))
