package itch

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FileReader reads NASDAQ's daily file framing: each message preceded by
// its length as a 2-byte big-endian integer. It does not judge the
// messages (Check does); it only frames them.
type FileReader struct {
	r   *bufio.Reader
	off int64 // offset of the next length prefix
	hdr [2]byte
	buf [1 << 16]byte
}

// NewFileReader reads framed messages from r (already decompressed).
func NewFileReader(r io.Reader) *FileReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	return &FileReader{r: br}
}

// ErrTruncated is returned when the stream ends inside a message.
var ErrTruncated = errors.New("file ends inside a message")

// Next returns the next message and the offset of its length prefix. The
// message aliases the reader's buffer until the next call. At the end it
// returns io.EOF; a stream that ends mid-message returns an error
// wrapping ErrTruncated that says where.
func (f *FileReader) Next() (Message, int64, error) {
	hdr := f.hdr[:] // a field: a local array would escape through io.ReadFull
	off := f.off
	if n, err := io.ReadFull(f.r, hdr); err != nil {
		if err == io.EOF {
			return nil, off, io.EOF
		}
		if n > 0 || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, off, fmt.Errorf("%w: offset %d: 1 byte of a length prefix", ErrTruncated, off)
		}
		return nil, off, err
	}
	n := int(binary.BigEndian.Uint16(hdr))
	m := f.buf[:n]
	if got, err := io.ReadFull(f.r, m); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, off, fmt.Errorf("%w: offset %d: %d of %d bytes", ErrTruncated, off, got, n)
		}
		return nil, off, err
	}
	f.off += 2 + int64(n)
	return Message(m), off, nil
}

// Offset is the offset of the next length prefix.
func (f *FileReader) Offset() int64 { return f.off }

// FileWriter writes NASDAQ's daily file framing.
type FileWriter struct {
	w *bufio.Writer
}

// NewFileWriter frames messages onto w; Flush when done.
func NewFileWriter(w io.Writer) *FileWriter { return &FileWriter{w: bufio.NewWriterSize(w, 256<<10)} }

// Write frames one message.
func (f *FileWriter) Write(m []byte) error {
	if len(m) > 0xffff {
		return fmt.Errorf("message of %d bytes does not fit a 2-byte length", len(m))
	}
	var hdr [2]byte
	binary.BigEndian.PutUint16(hdr[:], uint16(len(m)))
	f.w.Write(hdr[:])
	_, err := f.w.Write(m)
	return err
}

// Flush writes buffered data through.
func (f *FileWriter) Flush() error { return f.w.Flush() }
