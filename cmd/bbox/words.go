package main

import "github.com/bbox-dev/bbox/internal/words"

// plural spells a count with its noun, "1 shard" or "2 shards", with
// thousands separators (words.Count, which every package uses).
func plural[N words.Integer](n N, one, many string) string { return words.Count(n, one, many) }

// commas writes n with thousands separators (words.Group).
func commas(n int64) string { return words.Group(n) }

// human writes a rate for a status line or summary (words.RateFixed).
func human(v float64) string { return words.RateFixed(v) }
