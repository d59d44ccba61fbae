package graph

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
)

// AvatarSize is the width and height of the generated profile pictures.
const AvatarSize = 48

// AvatarJPEG returns the generated profile picture of the user with this
// id: AvatarSize × AvatarSize pixels of one mid-tone colour derived from
// the id, as a baseline JPEG.
func AvatarJPEG(id string) []byte {
	v := Seed(id)
	c := color.RGBA{R: 64 + uint8(v)%128, G: 64 + uint8(v>>8)%128, B: 64 + uint8(v>>16)%128, A: 255}
	img := image.NewRGBA(image.Rect(0, 0, AvatarSize, AvatarSize))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return buf.Bytes()
}
