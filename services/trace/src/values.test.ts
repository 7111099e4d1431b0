import { describe, expect, it } from 'vitest';
import { AT_FDCWD, decodeQuoted, field, parseArgs, parseFdDecoration, parseSockaddr } from './values.js';

describe('parseArgs', () => {
  it('decodes execve argv arrays, truncated arrays and the env comment', () => {
    // execve("/bin/sh", ["sh", "-c", "curl x | sh"], 0x7ffd /* 12 vars */)
    const [path, argv, env] = parseArgs('"/bin/sh", ["sh", "-c", "curl x | sh"], 0x7ffd4b75ed58 /* 12 vars */');
    expect(path).toEqual({ kind: 'string', value: '/bin/sh', truncated: false });
    expect(argv).toMatchObject({ kind: 'array', truncated: false });
    expect(argv.kind === 'array' && argv.items.map((i) => (i.kind === 'string' ? i.value : '?'))).toEqual(['sh', '-c', 'curl x | sh']);
    expect(env).toEqual({ kind: 'symbol', raw: '0x7ffd4b75ed58 /* 12 vars */' });
    const [, cut] = parseArgs('"/bin/x", ["x", "a", ...], 0x1 /* 1 var */');
    expect(cut).toMatchObject({ kind: 'array', truncated: true });
  });

  it('decodes fds with decorations, AT_FDCWD, flags and modes', () => {
    // openat(AT_FDCWD</home/u>, "x", O_WRONLY|O_CREAT|O_TRUNC, 0644)
    const [dirfd, p, flags, mode] = parseArgs('AT_FDCWD</home/u>, "x", O_WRONLY|O_CREAT|O_TRUNC, 0644');
    expect(dirfd).toEqual({ kind: 'fd', fd: AT_FDCWD, decoration: '/home/u' });
    expect(p).toMatchObject({ value: 'x' });
    expect(flags).toEqual({ kind: 'symbol', raw: 'O_WRONLY|O_CREAT|O_TRUNC' });
    expect(mode).toEqual({ kind: 'number', value: 644, raw: '0644' });
    const [fd] = parseArgs('5<TCP:[1.2.3.4:5->6.7.8.9:10]>, "GET / HTTP/1.1\\r\\n"..., 4096');
    expect(fd).toEqual({ kind: 'fd', fd: 5, decoration: 'TCP:[1.2.3.4:5->6.7.8.9:10]' });
  });

  it('decodes quoted escapes and truncated strings', () => {
    const [s, t] = parseArgs('"a\\tb\\n\\"q\\"\\\\\\x41\\101\\0end", "long"...');
    expect(s).toEqual({ kind: 'string', value: 'a\tb\n"q"\\AA\0end', truncated: false });
    expect(t).toEqual({ kind: 'string', value: 'long', truncated: true });
    // UTF-8 bytes escaped by strace come back as text.
    expect(decodeQuoted('"caf\\303\\251"', 0).value).toBe('café');
  });

  it('decodes sockaddr_in, sockaddr_in6 and sockaddr_un structures', () => {
    const [, in4] = parseArgs('19<TCP:[55376]>, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("192.0.2.10")}, 16');
    expect(parseSockaddr(in4)).toEqual({ family: 'inet', address: '192.0.2.10', port: 4444 });
    const [, in6] = parseArgs(
      '3<TCPv6:[1]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28',
    );
    expect(parseSockaddr(in6)).toEqual({ family: 'inet6', address: '2001:db8::1', port: 443 });
    const [, un] = parseArgs('3<UNIX-STREAM:[9]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110');
    expect(parseSockaddr(un)).toEqual({ family: 'unix', address: '/var/run/nscd/socket', port: null });
    const [, abs] = parseArgs('3, {sa_family=AF_UNIX, sun_path=@"abstract"}, 11');
    expect(parseSockaddr(abs)).toMatchObject({ address: '@abstract' });
  });

  it('decodes sendmsg msg_name nested in a struct, and odd expressions as symbols', () => {
    const [, msg] = parseArgs(
      '18<UDP:[0.0.0.0:54372]>, {msg_name={sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("192.0.2.10")}, msg_namelen=16, msg_iov=[{iov_base="\\0224\\1", iov_len=33}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0',
    );
    expect(parseSockaddr(field(msg, 'msg_name'))).toEqual({ family: 'inet', address: '192.0.2.10', port: 53 });
    const iov = field(msg, 'msg_iov');
    expect(iov?.kind === 'array' && field(iov.items[0], 'iov_base')).toMatchObject({ value: '\x124\x01' });
    const [, status] = parseArgs('-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL');
    expect(status.kind).toBe('array');
    const [clone] = parseArgs('{flags=CLONE_VM|CLONE_THREAD, exit_signal=0} => {parent_tid=[27921]}, 88');
    expect(clone).toMatchObject({ kind: 'symbol' });
    expect(clone.kind === 'symbol' && clone.raw).toContain('CLONE_THREAD');
  });

  it('keeps `{st_mode=..., ...}` truncated structs', () => {
    const [, st] = parseArgs('3</x>, {st_mode=S_IFREG|0644, st_size=3, ...}');
    expect(st).toMatchObject({ kind: 'struct', truncated: true });
    expect(field(st, 'st_size')).toMatchObject({ value: 3 });
  });
});

describe('parseFdDecoration', () => {
  it('reads paths, devices and sockets', () => {
    expect(parseFdDecoration('/etc/passwd')).toEqual({ type: 'path', path: '/etc/passwd' });
    expect(parseFdDecoration('/dev/pts/0<char 136:0>')).toEqual({ type: 'path', path: '/dev/pts/0' });
    expect(parseFdDecoration('/tmp/a\\76b')).toEqual({ type: 'path', path: '/tmp/a>b' });
    expect(parseFdDecoration('TCP:[10.0.0.2:43518->198.51.100.9:4444]')).toEqual({
      type: 'socket',
      proto: 'TCP',
      local: { address: '10.0.0.2', port: 43518 },
      remote: { address: '198.51.100.9', port: 4444 },
    });
    expect(parseFdDecoration('TCPv6:[[::1]:5->[2001:db8::2]:80]')).toMatchObject({
      proto: 'TCPv6',
      local: { address: '::1', port: 5 },
      remote: { address: '2001:db8::2', port: 80 },
    });
    expect(parseFdDecoration('UDP:[0.0.0.0:54372]')).toMatchObject({ proto: 'UDP', local: { address: '0.0.0.0', port: 54372 } });
    expect(parseFdDecoration('TCP:[55374]')).toEqual({ type: 'socket', proto: 'TCP', inode: 55374 });
    expect(parseFdDecoration('UNIX-STREAM:[36022->36021]')).toMatchObject({ type: 'socket', proto: 'UNIX-STREAM' });
    expect(parseFdDecoration('UNIX-STREAM:[36022,"/run/x.sock"]')).toMatchObject({ path: '/run/x.sock' });
    expect(parseFdDecoration('socket:[123]')).toEqual({ type: 'socket', proto: 'socket', inode: 123 });
    expect(parseFdDecoration('pipe:[55348]')).toEqual({ type: 'other', text: 'pipe:[55348]' });
  });
});
