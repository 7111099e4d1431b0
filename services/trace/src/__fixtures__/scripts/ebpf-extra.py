# Harmless activity for the eBPF fixture, beside node-activity.cjs: what only fd and dirfd tracking
# resolve (openat on a directory fd, fchmod, fchdir, dup2), a symlink, a thread, a sendmsg of a
# DNS-looking datagram to a TEST-NET resolver, a failing PATH search, a long argv.
import os, socket, subprocess, sys, threading
work = sys.argv[1]
os.makedirs(os.path.join(work, 'd'))
dfd = os.open(os.path.join(work, 'd'), os.O_RDONLY | os.O_DIRECTORY)
fd = os.open('f.txt', os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=dfd)
os.write(fd, b'x')
os.fchmod(fd, 0o700)
copy = os.dup(fd)
os.dup2(copy, 9)
os.close(fd)
os.fchmod(9, 0o750)
os.close(9)
os.close(copy)
os.symlink('/etc/passwd', 'link', dir_fd=dfd)
os.fchdir(dfd)
open('f.txt').read()  # relative to the directory fchdir entered
t = threading.Thread(target=lambda: open('/etc/hostname').read())
t.start()
t.join()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.sendmsg([b'\x56\x78\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ebpf1\x07example\x00\x00\x10\x00\x01'], [], 0, ('198.51.100.53', 53))
except OSError:
    pass
try:
    subprocess.run(['no-such-tool-vetbox'], check=False)
except OSError:
    pass
subprocess.run(['/bin/echo'] + ['arg%d' % i for i in range(300)], stdout=subprocess.DEVNULL)
