package alerts

// SquawkEvent is the alert a subscriber's squawk is sent as: its kind
// (a croak is kind "croak" whatever it croaked on), the subscriber as the
// source, and the line the process logs as the message.
func SquawkEvent(q Squawk) Event {
	kind := q.Kind
	if q.Croak {
		kind = "croak"
	}
	return Event{Kind: kind, Source: q.Name, Message: q.String(), Squawk: &q, Shard: q.Shard, Time: q.Time}
}
