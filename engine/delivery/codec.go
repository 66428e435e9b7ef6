package delivery

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"strings"

	"github.com/golang/snappy"
)

// codecExt is each supported compression's object name extension.
var codecExt = map[string]string{"gzip": ".gz", "snappy": ".snappy", "zip": ".zip"}

// compress packs an object's bytes: gzip; snappy in its framing format (what Firehose's "Snappy" writes); or a zip
// archive holding one file named after the object.
func compress(codec, name string, b []byte) []byte {
	var out bytes.Buffer
	switch codec {
	case "gzip":
		zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed) // a valid level never fails
		zw.Write(b)
		zw.Close()
	case "snappy":
		sw := snappy.NewBufferedWriter(&out)
		sw.Write(b)
		sw.Close()
	case "zip":
		zw := zip.NewWriter(&out)
		f, _ := zw.Create(strings.TrimSuffix(name, ".zip"))
		f.Write(b)
		zw.Close()
	default:
		return b
	}
	return out.Bytes()
}
