package shard

import (
	"bytes"
	"testing"
)

// FuzzRecoveryRequest: any bytes parse without panicking, and a request
// that parses encodes back to exactly the same bytes.
func FuzzRecoveryRequest(f *testing.F) {
	f.Add(AppendRecoveryRequest(nil, &RecoveryRequest{ID: 1, Publisher: 2, Epoch: 3, Partition: 4, Count: 5, From: 6}))
	f.Add([]byte("BBRQ"))
	f.Add(make([]byte, RecoveryReqLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecoveryRequest(b)
		if err != nil {
			return
		}
		if got := AppendRecoveryRequest(nil, &r); !bytes.Equal(got, b) {
			t.Fatalf("round trip: %x → %+v → %x", b, r, got)
		}
	})
}

// FuzzRecoveryReply: the same for reply headers.
func FuzzRecoveryReply(f *testing.F) {
	f.Add(AppendRecoveryReply(nil, &RecoveryReply{Type: RepEnd, Status: RecPartial, ID: 9, FirstAvailable: 10, NextSeq: 20, ServedFrom: 10, ServedTo: 20, Frames: 1, Records: 10}))
	f.Add(AppendRecoveryReply(nil, &RecoveryReply{Type: RepData, ID: 1}))
	f.Add([]byte("BBRP\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecoveryReply(b)
		if err != nil {
			return
		}
		if got := AppendRecoveryReply(nil, &r); !bytes.Equal(got, b) {
			t.Fatalf("round trip: %x → %+v → %x", b, r, got)
		}
	})
}
