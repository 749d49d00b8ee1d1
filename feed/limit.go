package feed

import (
	"context"
	"io"
)

// Limit returns a Source that yields the first n records of src, then
// io.EOF; n <= 0 returns src itself. Once the n records are out, src is
// closed if it is an io.Closer, so a source that reads ahead (a capture's
// decoders) stops. The Source is Pender when src is. Like any Source it
// belongs to one goroutine.
func Limit(src Source, n int64) Source {
	if n <= 0 {
		return src
	}
	return &limited{src: src, left: n}
}

type limited struct {
	src  Source
	left int64
}

func (l *limited) Next(ctx context.Context, b *Batch) error {
	if l.left <= 0 {
		if c, ok := l.src.(io.Closer); ok {
			c.Close()
		}
		return io.EOF
	}
	err := l.src.Next(ctx, b)
	if int64(b.Len()) > l.left {
		clear(b.Recs[l.left:])
		b.Recs = b.Recs[:l.left]
	}
	l.left -= int64(b.Len())
	return err
}

func (l *limited) Pending() bool {
	p, ok := l.src.(Pender)
	return l.left > 0 && ok && p.Pending()
}
