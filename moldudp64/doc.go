// Package moldudp64 implements NASDAQ's MoldUDP64 1.0 transport: the
// packet codec (a 20-byte header of session, sequence and message count,
// then blocks of a u16 length and a message; count 0 is a heartbeat,
// 0xFFFF the end of the session), the sequencer that arbitrates A/B lines
// (the first copy of each sequence wins) and finds gaps, the
// retransmission request client and server, and multicast senders and
// receivers.
//
// Concurrency: the codec functions are pure. A Sequencer belongs to one
// goroutine. Sender, Receiver and RewindServer are safe for concurrent
// use of their documented methods (Stats, Close) while they run.
package moldudp64
