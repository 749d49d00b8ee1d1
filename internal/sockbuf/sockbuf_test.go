package sockbuf

import (
	"syscall"
	"testing"
)

// A request at the cap is granted in full, one over it is cut to the cap.
func TestSetAtAndOverTheCap(t *testing.T) {
	max := Rcv.Max()
	if max <= 0 {
		t.Skip("no readable net.core.rmem_max")
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if got, err := Set(fd, Rcv, max); err != nil || got < max {
		t.Fatalf("SO_RCVBUF %d at the cap: granted %d, %v", max, got, err)
	}
	if got, err := Set(fd, Rcv, 2*max); err != nil || got >= 2*max {
		t.Fatalf("SO_RCVBUF %d over the cap %d: granted %d, %v", 2*max, max, got, err)
	}
	if _, err := Set(-1, Snd, 1<<20); err == nil || err.Error()[:len("SO_SNDBUF=")] != "SO_SNDBUF=" {
		t.Fatalf("a bad fd: %v, want an error naming SO_SNDBUF", err)
	}
}

// SetForce gets past the cap as root and keeps the capped grant otherwise.
func TestSetForcePastTheCap(t *testing.T) {
	max := Rcv.Max()
	if max <= 0 {
		t.Skip("no readable net.core.rmem_max")
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	got, err := SetForce(fd, Rcv, 2*max)
	if err != nil {
		t.Fatal(err)
	}
	if syscall.Geteuid() == 0 && got < 2*max {
		t.Fatalf("as root, %d over the cap %d: granted %d", 2*max, max, got)
	}
	if syscall.Geteuid() != 0 && got >= 2*max {
		t.Fatalf("without privilege, %d over the cap %d: granted %d", 2*max, max, got)
	}
	if got, err := SetForce(fd, Rcv, max/2); err != nil || got < max/2 {
		t.Fatalf("%d under the cap: granted %d, %v", max/2, got, err)
	}
}
