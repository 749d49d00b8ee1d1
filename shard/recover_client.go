package shard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bbox-dev/bbox/feed"
	"github.com/bbox-dev/bbox/internal/zmqx"
	"github.com/go-zeromq/zmq4"
)

// recoveryClient asks one recovery endpoint for ranges over one DEALER
// connection, dialled when first needed and again after a failure. It
// belongs to one goroutine.
type recoveryClient struct {
	ep      zmqx.Endpoint
	o       zmqx.Options
	timeout time.Duration
	peer    *zmqx.Peer
	id      uint64
	// requests counts requests sent (for the summary).
	requests func()
}

// seqRange is [from, to) of one partition that could not be recovered.
type seqRange struct {
	from, to uint64
	reason   string
}

// fetch asks for [from, to) of (pub, epoch, part) and returns the records
// it got, in sequence order, with exactly the sequences of [from, to) that
// the server could not give as holes. An error means the endpoint failed
// (unreachable, silent past the timeout, a broken reply): the holes then
// cover everything not received.
func (c *recoveryClient) fetch(ctx context.Context, pub, epoch uint64, part uint32, from, to uint64) (recs []feed.Record, holes []seqRange, err error) {
	cur := from
	busy := 0
	defer func() {
		if err != nil && cur < to {
			holes = append(holes, seqRange{cur, to, err.Error()})
		}
	}()
	for cur < to {
		if ctx.Err() != nil {
			return recs, holes, ctx.Err()
		}
		if c.peer == nil {
			dctx, cancel := context.WithTimeout(ctx, c.timeout)
			p, derr := zmqx.Dial(dctx, c.ep, zmq4.Dealer, c.o)
			cancel()
			if derr != nil {
				return recs, holes, fmt.Errorf("recovery endpoint %s: %w", c.ep.Raw, derr)
			}
			c.peer = p
		}
		c.id++
		req := RecoveryRequest{ID: c.id, Publisher: pub, Epoch: epoch, Partition: part, From: cur, Count: uint32(min(to-cur, 1<<31))}
		if c.requests != nil {
			c.requests()
		}
		if err := c.peer.Send(AppendRecoveryRequest(nil, &req)); err != nil {
			return recs, holes, c.broken(err)
		}
		want := min(to, cur+uint64(req.Count))
		var end RecoveryReply
		for {
			c.peer.SetReadDeadline(time.Now().Add(c.timeout))
			msg, err := c.peer.RecvMsg()
			if err != nil {
				return recs, holes, c.broken(err)
			}
			if msg.IsCommand() || len(msg.Frames) == 0 {
				continue
			}
			rep, err := ParseRecoveryReply(msg.Frames[0])
			if err != nil {
				return recs, holes, c.broken(err)
			}
			if rep.ID != req.ID {
				continue // the tail of an answer we gave up on
			}
			if rep.Type == RepEnd {
				end = rep
				break
			}
			if len(msg.Frames) != 2 {
				return recs, holes, c.broken(fmt.Errorf("DATA message of %d frames, want 2", len(msg.Frames)))
			}
			got, h, err := feed.DecodeFrame(msg.Frames[1], nil)
			if err != nil {
				return recs, holes, c.broken(err)
			}
			if h.Publisher != pub || h.Epoch != epoch || h.Partition != part {
				return recs, holes, c.broken(fmt.Errorf("DATA frame of publisher %x epoch %d partition %d, asked for %x %d %d",
					h.Publisher, h.Epoch, h.Partition, pub, epoch, part))
			}
			for _, r := range got {
				// Exactly the sequences still wanted, once, in order.
				if r.Seq >= cur && r.Seq < want && (len(recs) == 0 || r.Seq > recs[len(recs)-1].Seq) {
					if n := len(recs); n > 0 && r.Seq != recs[n-1].Seq+1 || n == 0 && r.Seq != cur {
						start := cur
						if n > 0 {
							start = recs[n-1].Seq + 1
						}
						holes = append(holes, seqRange{start, r.Seq, "not held by the recovery endpoint"})
					}
					recs = append(recs, r)
				}
			}
		}
		next := cur
		if len(recs) > 0 && recs[len(recs)-1].Seq >= cur {
			next = recs[len(recs)-1].Seq + 1
		}
		switch end.Status {
		case RecOK, RecPartial:
			if end.Status == RecPartial && next == cur && end.ServedFrom > cur {
				stop := min(end.ServedFrom, to)
				holes = append(holes, seqRange{cur, stop, fmt.Sprintf("not available before sequence %d", end.ServedFrom)})
				next = stop
			}
			if next == cur {
				// No progress: what is left is not there.
				holes = append(holes, seqRange{cur, to, fmt.Sprintf("not held (next sequence %d)", end.NextSeq)})
				return recs, holes, nil
			}
			cur = next
			busy = 0
		case RecBusy:
			busy++
			if busy > 50 {
				holes = append(holes, seqRange{cur, to, "recovery endpoint busy"})
				return recs, holes, nil
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
			}
		default:
			holes = append(holes, seqRange{cur, to, end.Status.String()})
			return recs, holes, nil
		}
	}
	return recs, holes, nil
}

func (c *recoveryClient) broken(err error) error {
	if c.peer != nil {
		c.peer.Close()
		c.peer = nil
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("recovery endpoint %s: no reply within %v", c.ep.Raw, c.timeout)
	}
	return fmt.Errorf("recovery endpoint %s: %w", c.ep.Raw, err)
}

func (c *recoveryClient) close() {
	if c.peer != nil {
		c.peer.Close()
		c.peer = nil
	}
}
