package config

import (
	"bytes"
	"testing"
)

// FuzzConfigFile feeds arbitrary text to the parser. Properties: it never
// panics; a file it accepts formats to text that parses to the same
// sections and settings, and formatting that again changes nothing; the
// topology checks never panic on anything the parser accepts.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte(twoBoxes))
	f.Add([]byte("[pub]\nk = \"a#b\" # c\n[shard 0]\nendpoint = tcp://h:1\nsub-nic = ::1\n"))
	f.Add([]byte("[shard 0]\nendpoint = tcp://*:7001\npub-nic = eth0\nsub-cpu = 0\n[workers]\ncount = 2\n"))
	f.Add([]byte("[x 1] # c\r\nk=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.conf", data)
		if err != nil {
			return
		}
		FromFile(file) // must not panic; errors are fine
		out := file.Format()
		again, err := Parse("f.conf", out)
		if err != nil {
			t.Fatalf("formatted file does not parse: %v\n%q", err, out)
		}
		if !sameFile(file, again) {
			t.Fatalf("round trip changed the file:\n%q\n%q", out, again.Format())
		}
		if !bytes.Equal(again.Format(), out) {
			t.Fatalf("Format is not stable:\n%q\n%q", out, again.Format())
		}
	})
}
