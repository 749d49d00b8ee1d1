package replay

import (
	"strings"
	"testing"
)

// Zero configs are valid where nothing is required; each bad value is
// refused by Validate with the error the constructor gives.
func TestConfigsValidate(t *testing.T) {
	if err := (WriterConfig{}).Validate(); err != nil {
		t.Fatalf("zero WriterConfig: %v", err)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{WriterConfig{ChunkSize: -1}.Validate(), "chunk size -1 outside"},
		{WriterConfig{Level: 5}.Validate(), "compression level 5 outside [1, 4]"},
		{RecorderConfig{}.Validate(), "recorder needs an output file"},
		{RecorderConfig{Out: "x.bbc", RotateBytes: -1}.Validate(), "must not be negative"},
		{RecorderConfig{Out: "x.bbc", Writer: WriterConfig{Level: -1}}.Validate(), "compression level -1"},
		{SourceConfig{}.Validate(), "no files to replay"},
		{SourceConfig{Files: []*Reader{nil}, Speed: 2, Rate: 5}.Validate(), "exclusive"},
		{SourceConfig{Files: []*Reader{nil}, Speed: -1}.Validate(), "must be positive numbers"},
		{SourceConfig{Files: []*Reader{nil}, From: 5, To: 5}.Validate(), "empty time window [5, 5)"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", c.err, c.want)
		}
	}
	if err := (RecorderConfig{Out: "x.bbc"}).Validate(); err != nil {
		t.Fatalf("a recorder with only Out: %v", err)
	}
	if err := (SourceConfig{Files: []*Reader{nil}}).Validate(); err != nil {
		t.Fatalf("a source with only Files: %v", err)
	}
	if _, err := NewRecorder(RecorderConfig{Out: t.TempDir() + "/x.bbc", Writer: WriterConfig{Level: 9}}); err == nil {
		t.Fatal("NewRecorder accepted compression level 9")
	}
}
