// Package pubsource opens what `bbox pub --source` names: the synthetic
// generator (gen), a bbox capture file, an exchange file (NASDAQ ITCH 5.0,
// a pcap of MoldUDP64), a live MoldUDP64 feed (moldudp64://...) or an
// upstream ZeroMQ PUB (zmq+tcp://...), and gives each one the command's
// log and connection options, its status-line counters and its part of
// the summary. Open's errors about a file are a *FileError. A Source is used by one publisher: Next and Pending from
// its goroutine, StatusLine from the status loop (the feeds' counters are
// safe for that); the rest is not safe for concurrent use.
package pubsource
