package buildinfo

import (
	"encoding/json"
	"testing"
)

func TestStamp(t *testing.T) {
	var got struct {
		Command string `json:"command"`
		Version Info   `json:"version"`
	}
	if err := json.Unmarshal(Stamp([]byte(`{"command":"x"}`)), &got); err != nil || got.Command != "x" || got.Version.Go != Get().Go {
		t.Errorf("Stamp of an object: %+v, %v", got, err)
	}
	var empty map[string]json.RawMessage
	if err := json.Unmarshal(Stamp([]byte(`{}`)), &empty); err != nil || len(empty) != 1 || empty["version"] == nil {
		t.Errorf("Stamp of {}: %s, %v", Stamp([]byte(`{}`)), err)
	}
	for _, keep := range []string{`{"version":"mine"}`, `[1,2]`, `"s"`, `{"a":`} {
		if s := string(Stamp([]byte(keep))); s != keep {
			t.Errorf("Stamp(%s) = %s, want it unchanged", keep, s)
		}
	}
}
