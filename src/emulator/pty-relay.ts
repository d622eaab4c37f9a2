/**
 * The program that holds a virtual device's pseudo-terminal. Node has no pty or ioctl API
 * without a native add-on, and socat cannot tell anyone the line rate a program sets on the
 * pty, so this small Perl program (Perl is part of every Debian/Ubuntu base system) does what socat did and one thing more:
 *
 * - it creates the pty (`/dev/ptmx`, unlock, `/dev/pts/N`), makes the slave raw and links it
 *   to the path asked for;
 * - it waits until a program opens the slave, then connects to the device's TCP host, and
 *   relays bytes both ways until either side goes: one open is one host session, as with a
 *   USB port. When the program closes the pty the same pty waits for the next; when the device
 *   goes (a reset), the pty is hung up and a new one takes its path, as a USB device
 *   re-enumerates;
 * - it reads the slave's termios from the master (TCGETS2 on Linux: the master's termios
 *   calls act on the slave) and reports each new line rate as `rate N` on stdout, then waits
 *   for `ok` on stdin before relaying the bytes written after it, so the device acts on a
 *   rate before it sees what followed it.
 *
 * Linux only (the ioctl numbers are Linux's). Arguments: HOST PORT LINK. Prints `pty /dev/pts/N` once the link exists.
 */
export const PTY_RELAY_PERL = String.raw`
use strict; use warnings;
use POSIX qw(:termios_h);
use Fcntl qw(O_RDWR O_NOCTTY);
use IO::Socket::INET; use IO::Poll qw(POLLIN POLLHUP POLLERR);
$| = 1;
my ($host, $port, $link) = @ARGV;
my ($master, $socket, $reported);
# Stopped, the pty goes with the path (see below).
$SIG{$_} = sub { unlink $link; exit 0 } for qw(TERM HUP INT);
sub open_pty {
  sysopen($master, '/dev/ptmx', O_RDWR | O_NOCTTY) or die "ptmx: $!\n";
  my $unlock = pack('i', 0);
  ioctl($master, 0x40045431, $unlock) or die "unlockpt: $!\n";            # TIOCSPTLCK
  my $n = pack('i', 0);
  ioctl($master, 0x80045430, $n) or die "ptsname: $!\n";                  # TIOCGPTN
  my $slave = '/dev/pts/' . unpack('i', $n);
  my $t = POSIX::Termios->new; $t->getattr(fileno($master));
  $t->setiflag($t->getiflag & ~(IGNBRK|BRKINT|PARMRK|ISTRIP|INLCR|IGNCR|ICRNL|IXON));
  $t->setoflag($t->getoflag & ~OPOST);
  $t->setlflag($t->getlflag & ~(ECHO|ECHONL|ICANON|ISIG|IEXTEN));
  $t->setcflag(($t->getcflag & ~(CSIZE|PARENB)) | CS8);
  $t->setattr(fileno($master), TCSANOW);
  # A master reports a hangup only once its slave has been closed: open and close it once, so
  # that "no hangup" means a program has it open.
  sysopen(my $once, $slave, O_RDWR | O_NOCTTY) or die "$slave: $!\n"; close($once);
  unlink "$link.new"; symlink($slave, "$link.new") or die "link: $!\n"; rename("$link.new", $link) or die "link: $!\n";
  print "pty $slave\n";
}
sub rate {
  my $t2 = "\0" x 44;
  return undef unless ioctl($master, 0x802C542A, $t2);                   # TCGETS2: c_ospeed at 40
  return unpack('L', substr($t2, 40, 4));
}
sub report_rate {
  my $now = rate(); return if !defined $now || $now == $reported;
  $reported = $now; print "rate $now\n";
  my $ack = <STDIN>; exit 0 unless defined $ack;
}
# One session: returns 'closed' when the program closed the pty, 'gone' when the device went.
sub session {
  $socket = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp') or return 'gone';
  setsockopt($socket, 6, 1, 1);                                           # TCP_NODELAY
  $reported = -1;
  my $poll = IO::Poll->new; $poll->mask($master => POLLIN); $poll->mask($socket => POLLIN);
  my $buffer;
  for (;;) {
    report_rate();
    $poll->poll(0.01);
    if ($poll->events($master) & (POLLIN | POLLHUP | POLLERR)) {
      report_rate();
      my $got = sysread($master, $buffer, 65536);
      return 'closed' if !$got;
      syswrite($socket, $buffer) // return 'gone';
    }
    if ($poll->events($socket) & (POLLIN | POLLHUP | POLLERR)) {
      my $got = sysread($socket, $buffer, 65536);
      return 'gone' if !$got;
      my $off = 0;
      while ($off < $got) { my $w = syswrite($master, $buffer, $got - $off, $off); last unless defined $w; $off += $w; }
    }
  }
}
for (;;) {
  open_pty();
  for (;;) {
    # Until a program opens the slave, the master reports a hangup.
    my $poll = IO::Poll->new; $poll->mask($master => POLLIN);
    # poll() returns at once while the hangup lasts, so each look is followed by a pause: no busy loop.
    for (;;) { $poll->poll(0.01); last unless $poll->events($master) & POLLHUP; select(undef, undef, undef, 0.02); }
    my $end = session();
    close($socket) if $socket; undef $socket;
    # The device went away: so does its port (closing the master hangs the slave up), and a new one appears.
    # The path goes first, as a USB device's node does: once the master is closed its pts number
    # is free for any other program's pty, and the path must never lead there.
    if ($end eq 'gone') { unlink $link; close($master); last; }
  }
}
`;
