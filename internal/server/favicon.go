package server

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"sync"
)

// The icon is web/favicon.svg (linked from every page); /favicon.ico is
// the same drawing as a 32-pixel PNG in an ICO file, for what asks for
// that path by convention (browsers on other pages, feed readers).

// faviconICO draws the icon once: an orange rounded square with a
// white feed symbol (a dot and two arcs), anti-aliased by sampling each
// pixel 4x4 times.
var faviconICO = sync.OnceValue(func() []byte {
	const n, sub = 32, 4
	orange := color.NRGBA{0xc2, 0x41, 0x0c, 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	inside := func(x, y float64) (bg, fg bool) {
		// The rounded square, radius 6.
		cx, cy := math.Max(6-x, math.Max(0, x-26)), math.Max(6-y, math.Max(0, y-26))
		if cx*cx+cy*cy > 36 {
			return false, false
		}
		// Distance from the symbol's corner at (6, 26).
		d := math.Hypot(x-6, y-26)
		dot := math.Hypot(x-9, y-23) <= 3
		inQuarter := x >= 6 && y <= 26
		arc1 := inQuarter && d >= 8 && d <= 12
		arc2 := inQuarter && d >= 16 && d <= 20
		return true, dot || arc1 || arc2
	}
	for py := range n {
		for px := range n {
			var bg, fg int
			for sy := range sub {
				for sx := range sub {
					b, f := inside(float64(px)+(float64(sx)+.5)/sub, float64(py)+(float64(sy)+.5)/sub)
					if b {
						bg++
					}
					if f {
						fg++
					}
				}
			}
			if bg == 0 {
				continue
			}
			mix := func(o, w uint8) uint8 { return uint8((int(o)*(bg-fg) + int(w)*fg) / bg) }
			img.SetNRGBA(px, py, color.NRGBA{mix(orange.R, 255), mix(orange.G, 255), mix(orange.B, 255), uint8(255 * bg / (sub * sub))})
		}
	}
	var pngBuf bytes.Buffer
	_ = png.Encode(&pngBuf, img)
	// ICO: a 6-byte header and one 16-byte directory entry, then the PNG.
	var ico bytes.Buffer
	_ = binary.Write(&ico, binary.LittleEndian, [3]uint16{0, 1, 1})
	_ = binary.Write(&ico, binary.LittleEndian, struct {
		W, H, Colors, Reserved uint8
		Planes, Bits           uint16
		Size, Offset           uint32
	}{n, n, 0, 0, 1, 32, uint32(pngBuf.Len()), 22})
	ico.Write(pngBuf.Bytes())
	return ico.Bytes()
})

func serveFavicon(w http.ResponseWriter, _ *http.Request) {
	b := faviconICO()
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
