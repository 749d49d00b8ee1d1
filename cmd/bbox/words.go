package main

import "fmt"

// plural spells a count with its noun, "1 shard" or "2 shards", with
// thousands separators ("12,000 records"). Every count bbox prints with a
// noun goes through it, so none reads "1 shard(s)" or "1 workers".
func plural[N ~int | ~int64 | ~uint64](n N, one, many string) string {
	noun := many
	if n == 1 {
		noun = one
	}
	return fmt.Sprintf("%s %s", commas(int64(n)), noun)
}
