package ffmpeg

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// The argument builders are checked as golden slices, without running ffmpeg, the way
// Owncast checks its encoder flags: any change to what kurz asks ffmpeg for shows up here.

func TestRenditionArgs(t *testing.T) {
	portrait480 := Ladder(720, 1280, 0)[0]
	tests := []struct {
		name string
		r    Rendition
		fps  float64
		want string
	}{
		{"30 fps portrait 480p", portrait480, 30, `-hide_banner -nostdin -nostats -loglevel error -y
			-i /data/in/src.mov -map 0:v:0 -map 0:a:0?
			-vf scale=480:854,setsar=1
			-c:v libx264 -profile:v high -preset veryfast -pix_fmt yuv420p
			-b:v 1000000 -maxrate 1500000 -bufsize 2000000 -g 60
			-force_key_frames expr:gte(t,n_forced*2)
			-c:a aac -b:a 128000 -ac 2
			-map_metadata -1 -map_chapters -1 -sn -dn -fflags +bitexact -movflags +faststart
			-max_muxing_queue_size 1024 -f mp4 /data/out/480p.mp4`},
		{"NTSC rate rounds the GOP", portrait480, 29.97, `-hide_banner -nostdin -nostats -loglevel error -y
			-i /data/in/src.mov -map 0:v:0 -map 0:a:0?
			-vf scale=480:854,setsar=1
			-c:v libx264 -profile:v high -preset veryfast -pix_fmt yuv420p
			-b:v 1000000 -maxrate 1500000 -bufsize 2000000 -g 60
			-force_key_frames expr:gte(t,n_forced*2)
			-c:a aac -b:a 128000 -ac 2
			-map_metadata -1 -map_chapters -1 -sn -dn -fflags +bitexact -movflags +faststart
			-max_muxing_queue_size 1024 -f mp4 /data/out/480p.mp4`},
		{"240 fps slow motion is capped at 60", Ladder(1080, 1920, 0)[2], 240, `-hide_banner -nostdin -nostats -loglevel error -y
			-i /data/in/src.mov -map 0:v:0 -map 0:a:0?
			-vf fps=60,scale=1080:1920,setsar=1
			-c:v libx264 -profile:v high -preset veryfast -pix_fmt yuv420p
			-b:v 4500000 -maxrate 6750000 -bufsize 9000000 -g 120
			-force_key_frames expr:gte(t,n_forced*2)
			-c:a aac -b:a 128000 -ac 2
			-map_metadata -1 -map_chapters -1 -sn -dn -fflags +bitexact -movflags +faststart
			-max_muxing_queue_size 1024 -f mp4 /data/out/480p.mp4`},
		{"unknown frame rate leaves the GOP to the forced keyframes", Rendition{Name: "360p", Width: 640, Height: 360,
			VideoBitrate: 560_000, MaxRate: 840_000, BufSize: 1_120_000, Preset: "superfast"}, 0, `-hide_banner -nostdin -nostats -loglevel error -y
			-i /data/in/src.mov -map 0:v:0 -map 0:a:0?
			-vf scale=640:360,setsar=1
			-c:v libx264 -profile:v high -preset superfast -pix_fmt yuv420p
			-b:v 560000 -maxrate 840000 -bufsize 1120000
			-force_key_frames expr:gte(t,n_forced*2)
			-c:a aac -b:a 128000 -ac 2
			-map_metadata -1 -map_chapters -1 -sn -dn -fflags +bitexact -movflags +faststart
			-max_muxing_queue_size 1024 -f mp4 /data/out/480p.mp4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenditionArgs("/data/in/src.mov", "/data/out/480p.mp4", tt.r, tt.fps)
			if want := strings.Fields(tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("RenditionArgs\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestPosterArgs(t *testing.T) {
	got := PosterArgs("/data/in/src.mov", "/data/out/poster.jpg", 0.6, 1280)
	want := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
		"-ss", "0.600", "-i", "/data/in/src.mov",
		"-map", "0:v:0", "-frames:v", "1",
		"-vf", "scale='min(iw,1280)':'min(ih,1280)':force_original_aspect_ratio=decrease,setsar=1",
		"-c:v", "mjpeg", "-q:v", "3",
		"-map_metadata", "-1", "-fflags", "+bitexact",
		"-f", "image2", "-update", "1", "/data/out/poster.jpg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PosterArgs\n got %q\nwant %q", got, want)
	}
	if got := PosterArgs("/in.mp4", "/out.jpg", -3, 640); got[7] != "0.000" {
		t.Errorf("a negative time seeks to %s, want 0.000", got[7])
	}
}

func TestProbeArgs(t *testing.T) {
	want := []string{"-hide_banner", "-loglevel", "error", "-print_format", "json",
		"-show_format", "-show_streams", "-count_packets", "/data/in/src.mov"}
	if got := ProbeArgs("/data/in/src.mov"); !reflect.DeepEqual(got, want) {
		t.Errorf("ProbeArgs\n got %q\nwant %q", got, want)
	}
}

func TestPosterTime(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want float64
	}{
		{0, 0},
		{3 * time.Second, 0.6},
		{25 * time.Second, 5},
		{3 * time.Minute, 5},
	} {
		if got := PosterTime(tt.d); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("PosterTime(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}
