// Package words spells counts for people: "1 shard", "2 shards",
// "12,000 records". Every package that prints a count with a noun uses
// it, so none reads "1 shard(s)" or "1 workers". Its functions are pure
// and safe for concurrent use.
package words

import "strconv"

// Integer is any integer type a count comes in.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Count is n with thousands separators and the noun in the right number:
// one for exactly 1, many otherwise (0 shards, 2 shards).
func Count[N Integer](n N, one, many string) string {
	noun := many
	if n == 1 {
		noun = one
	}
	return Group(int64(n)) + " " + noun
}

// Group writes n with a comma every three digits (1,234,567).
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	start := 0
	if n < 0 {
		start = 1
	}
	digits := len(s) - start
	if digits <= 3 {
		return s
	}
	b := make([]byte, 0, len(s)+digits/3)
	b = append(b, s[:start]...)
	for i := start; i < len(s); i++ {
		if i > start && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
