package exchange

import (
	"strings"
	"testing"

	"github.com/bbox-dev/bbox/itch"
	"github.com/bbox-dev/bbox/replay"
)

func TestConfigsValidate(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{Config{}.Validate(), "no inputs"},
		{Config{Inputs: []Input{{Path: "x.bin"}}}.Validate(), "x.bin: not an ITCH 5.0 file"},
		{LiveConfig{}.Validate(), "0 lines"},
		{LiveConfig{Records: -1}.Validate(), "records -1"},
		{PcapConfig{PerPacket: -1}.Validate(), "messages per packet"},
		{PcapConfig{Gen: itch.GenConfig{Symbols: 70000}}.Validate(), "70000 symbols"},
		{ImportConfig{}.Validate(), "no inputs"},
		{ImportConfig{Source: Config{Inputs: []Input{{Path: "d.itch", Kind: ITCH}}}}.Validate(), "no capture to write"},
		{ImportConfig{Source: Config{Inputs: []Input{{Path: "d.itch", Kind: ITCH}}}, Out: "d.bbc", Names: []string{"a", "b"}}.Validate(), "2 names for 1 inputs"},
		{ImportConfig{Source: Config{Inputs: []Input{{Path: "d.itch", Kind: ITCH}}}, Out: "d.bbc", Writer: replay.WriterConfig{Level: 9}}.Validate(), "compression level 9"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got %v, want %q", c.err, c.want)
		}
	}
	if err := (PcapConfig{}).Validate(); err != nil {
		t.Fatalf("zero PcapConfig: %v", err)
	}
	if err := (Config{Inputs: []Input{{Path: "d.itch", Kind: ITCH}}}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (ImportConfig{Source: Config{Inputs: []Input{{Path: "d.itch", Kind: ITCH}}}, Out: "d.bbc"}).Validate(); err != nil {
		t.Fatalf("an import with only the required fields: %v", err)
	}
}
