package buildinfo

import (
	"encoding/json"
	"sync"
)

// getJSON is Get() as JSON, marshalled once.
var getJSON = sync.OnceValue(func() []byte { b, _ := json.Marshal(Get()); return b })

// Stamp adds the running binary's build information to the JSON object b
// as its "version" key, so every summary says which build produced it.
// An object that has a "version" of its own, and anything that is not a
// JSON object, is returned as it is.
func Stamp(b []byte) []byte {
	if len(b) < 2 || b[0] != '{' || hasTopKey(b, "version") {
		return b
	}
	v := getJSON()
	out := make([]byte, 0, len(b)+len(v)+12)
	out = append(out, b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"version":`...)
	out = append(out, v...)
	return append(out, '}')
}

// hasTopKey reports whether the JSON object b already has key at its top
// level.
func hasTopKey(b []byte, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return true // not an object we understand: leave it alone
	}
	_, ok := m[key]
	return ok
}
