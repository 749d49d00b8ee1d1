// Package exchange turns the data exchange users keep into feed.Sources:
// NASDAQ TotalView-ITCH 5.0 daily files (plain or gzip), pcap and pcapng
// captures of MoldUDP64 over Ethernet/IPv4/UDP (VLAN tags, several flows,
// A/B lines arbitrated), and live MoldUDP64 multicast. It detects the
// kind of an input by its content and attributes every ITCH message to
// its stock (topic), type (kind) and time of day (source time).
//
// Concurrency: a Source belongs to the goroutine that calls Next; its
// Stats method is safe to call from any goroutine.
package exchange
