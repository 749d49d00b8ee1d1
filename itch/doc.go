// Package itch decodes and encodes NASDAQ TotalView-ITCH 5.0 messages and
// reads NASDAQ's daily file framing (each message preceded by a 2-byte
// big-endian length).
//
// It owns the message layouts (one table, checked against the
// specification's total lengths), the 11-byte common header, symbol
// attribution through the day's Stock Directory (R) messages, and the
// per-type counting of a day. Messages are handled as the original bytes
// (Message is a []byte view): decoding a field reads it in place, nothing
// is copied or allocated per message.
//
// Concurrency: Message and the layout tables are read-only and safe for
// concurrent use. Directory, Stats and FileReader belong to one goroutine
// (the reader of one feed).
package itch
