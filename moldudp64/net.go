package moldudp64

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/bbox-dev/bbox/internal/sockbuf"
)

// Line is one multicast feed: a group and port, and the interface to
// send or join it on ("" lets the routing table choose).
type Line struct {
	Group netip.AddrPort
	NIC   string
}

func (l Line) String() string {
	if l.NIC == "" {
		return l.Group.String()
	}
	return l.Group.String() + "%" + l.NIC
}

func iface(name string) (*net.Interface, error) {
	if name == "" {
		return nil, nil
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("nic=%s: %v", name, err)
	}
	return ifi, nil
}

// reuse lets several receivers on one box bind the same port (a second
// feed handler, the B line on the A line's port). Go binds a multicast
// listen address as the wildcard, and Linux then delivers every group
// joined by any socket on the box to it (IP_MULTICAST_ALL): turning that
// off keeps each line's socket to its own group.
func reuse(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		if serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// listenGroup binds the group's port on the group address itself, so two
// lines on one port but different groups do not see each other's
// packets, and joins the group on the line's interface.
func listenGroup(l Line, rcvbuf int) (*net.UDPConn, int, error) {
	ifi, err := iface(l.NIC)
	if err != nil {
		return nil, 0, err
	}
	lc := net.ListenConfig{Control: reuse}
	pc, err := lc.ListenPacket(contextBG, "udp4", l.Group.String())
	if err != nil {
		return nil, 0, fmt.Errorf("listening on %s: %v", l, err)
	}
	c := pc.(*net.UDPConn)
	p := ipv4.NewPacketConn(c)
	if err := p.JoinGroup(ifi, &net.UDPAddr{IP: l.Group.Addr().AsSlice()}); err != nil {
		c.Close()
		return nil, 0, fmt.Errorf("joining %s: %v", l, err)
	}
	return c, setRcvBuf(c, rcvbuf), nil
}

// setRcvBuf asks for n bytes of receive buffer. The kernel caps the
// ordinary request at net.core.rmem_max (208 KiB by default: about 150
// full packets, a 150 ms stall at 1,000 packets/s); as root, force it
// past the cap, as feed handlers do (sockbuf.SetForce). It returns the
// usable bytes the kernel granted.
func setRcvBuf(c *net.UDPConn, n int) int {
	got := 0
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { got, _ = sockbuf.SetForce(int(fd), sockbuf.Rcv, n) })
	}
	return got
}

// dialGroup returns a socket that sends to the line's group out of its
// interface, looped back to local receivers too.
func dialGroup(l Line, ttl int) (*net.UDPConn, *net.UDPAddr, error) {
	ifi, err := iface(l.NIC)
	if err != nil {
		return nil, nil, err
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		return nil, nil, fmt.Errorf("socket for %s: %v", l, err)
	}
	p := ipv4.NewPacketConn(c)
	if ifi != nil {
		if err := p.SetMulticastInterface(ifi); err != nil {
			c.Close()
			return nil, nil, fmt.Errorf("sending %s on %s: %v", l, l.NIC, err)
		}
	}
	p.SetMulticastTTL(max(ttl, 1))
	p.SetMulticastLoopback(true)
	c.SetWriteBuffer(4 << 20)
	return c, net.UDPAddrFromAddrPort(l.Group), nil
}
