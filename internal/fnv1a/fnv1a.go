// Package fnv1a is the 32-bit FNV-1a hash that routes topics: to a
// partition in the publisher (shard.Router) and to a worker under
// topic ordering (workers.TopicWorker). It is written out rather than
// taken from hash/fnv so the hot path neither allocates nor goes through
// an interface. Sum32 is pure and safe for concurrent use.
package fnv1a

const (
	offset32 = 2166136261
	prime32  = 16777619
)

// Sum32 is the FNV-1a hash of b. It does not allocate.
func Sum32(b []byte) uint32 {
	h := uint32(offset32)
	for _, c := range b {
		h ^= uint32(c)
		h *= prime32
	}
	return h
}
