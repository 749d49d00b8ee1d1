// Package exchange turns the data exchange users keep into feed.Sources:
// NASDAQ TotalView-ITCH 5.0 daily files (plain or gzip), pcap and pcapng
// captures of MoldUDP64 over Ethernet/IPv4/UDP (VLAN tags, several flows,
// A/B lines arbitrated), and live MoldUDP64 multicast. It detects the
// kind of an input by its content and attributes every ITCH message to
// its stock (topic), type (kind) and time of day (source time).
//
// It also owns the runs bbox's commands make of them, with their reports
// and text: Import (exchange inputs to a bbox capture), Inspect, Generate
// (a generated day as ITCH or pcap), MoldSend (a source sent as a
// MoldUDP64 session, with OpenPaced opening what it sends), InspectFiles
// and TODWindow (an ITCH window of times of day), and the words a source's Stats and a live feed's
// LiveStats add to a summary (Warnings, WriteText, StatusText).
//
// Concurrency: a Source belongs to the goroutine that calls Next; its
// Stats method is safe to call from any goroutine. Import.Run and
// MoldSend.Run are called once, by one goroutine; Import.Records and
// MoldSend.Stats are safe from any. Reports are plain values.
package exchange
