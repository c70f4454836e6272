package ffmpeg

import (
	"errors"
	"strings"
	"testing"
)

// Rotation comes in two spellings: the display matrix that ffmpeg 5+ reports (counter-clockwise
// degrees), and the "rotate" tag of older builds (clockwise). Both mean the same turn.
func TestParseProbeRotation(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   int
	}{
		{"display matrix -90", `"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]`, 90},
		{"display matrix 90", `"side_data_list":[{"side_data_type":"Display Matrix","rotation":90}]`, 270},
		{"display matrix 180", `"side_data_list":[{"side_data_type":"Display Matrix","rotation":180}]`, 180},
		{"display matrix -180", `"side_data_list":[{"side_data_type":"Display Matrix","rotation":-180}]`, 180},
		{"legacy rotate tag", `"tags":{"rotate":"90"}`, 90},
		{"legacy rotate tag 270", `"tags":{"rotate":"270"}`, 270},
		{"matrix wins over a stale tag", `"tags":{"rotate":"180"},"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]`, 90},
		{"other side data is not rotation", `"side_data_list":[{"side_data_type":"CPB properties"}]`, 0},
		{"none", `"tags":{}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := `{"streams":[{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,` + tt.stream +
				`}],"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"1.5"}}`
			res, err := parseProbe([]byte(js), "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Rotation != tt.want {
				t.Errorf("rotation = %d, want %d", res.Rotation, tt.want)
			}
			w, h := res.DisplaySize()
			if turned := tt.want%180 != 0; turned != (w == 1080 && h == 1920) {
				t.Errorf("display size %dx%d for rotation %d", w, h, tt.want)
			}
		})
	}
}

func TestParseProbeRefusals(t *testing.T) {
	tests := []struct {
		name, json, stderr, reason string
	}{
		{"still image", `{"streams":[{"codec_type":"video","codec_name":"png"}],"format":{"format_name":"png_pipe"}}`, "", "still image"},
		{"partial file", `{"streams":[{"codec_type":"video","codec_name":"h264"}],"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}`,
			"stream 1, offset 0xeec1: partial file", "incomplete"},
		{"fewer packets than the index", `{"streams":[{"codec_type":"video","codec_name":"h264","nb_frames":"120","nb_read_packets":"15"}],"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}`,
			"", "15 of its 120"},
		{"video without a decoder", `{"streams":[{"codec_type":"video","codec_name":"none","width":0,"height":0}],"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}`,
			"", "not supported"},
		{"only data streams", `{"streams":[{"codec_type":"data"}],"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}`, "", "no audio or video"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseProbe([]byte(tt.json), tt.stderr)
			var ue *UndecodableError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUndecodable) {
				t.Fatalf("err = %v, want an *UndecodableError", err)
			}
			if !strings.Contains(ue.Reason, tt.reason) {
				t.Errorf("reason %q does not mention %q", ue.Reason, tt.reason)
			}
		})
	}
}

// Cover art in an audio file is a "video" stream in ffprobe's eyes; it must not make the
// file look like a clip.
func TestParseProbeCoverArtIsNotVideo(t *testing.T) {
	js := `{"streams":[
		{"codec_type":"audio","codec_name":"aac","profile":"1","channels":2,"duration":"3.0"},
		{"codec_type":"video","codec_name":"mjpeg","width":600,"height":600,"disposition":{"attached_pic":1}}],
		"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"3.0","bit_rate":"128000"}}`
	res, err := parseProbe([]byte(js), "")
	if err != nil {
		t.Fatal(err)
	}
	if res.HasVideo || !res.HasAudio || res.AudioProfile != "LC" || res.AudioChannels != 2 || res.Bitrate != 128000 {
		t.Errorf("got %+v", res)
	}
}

func TestTrimMessage(t *testing.T) {
	stderr := "[mov,mp4,m4a,3gp,3g2,mj2 @ 0xc6e8f0] moov atom not found\n/in/text.mp4: Invalid data found when processing input\n\n"
	if got, want := trimMessage([]byte(stderr)), "moov atom not found; /in/text.mp4: Invalid data found when processing input"; got != want {
		t.Errorf("trimMessage = %q, want %q", got, want)
	}
	long := strings.Repeat("line\n", 50) + strings.Repeat("x", 1000)
	if got := trimMessage([]byte(long)); len(got) > 410 || strings.Count(got, "line") > 3 {
		t.Errorf("trimMessage kept too much: %d bytes", len(got))
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"ffmpeg version n5.1.10 Copyright (c) 2000-2026 the FFmpeg developers\nbuilt with clang": "n5.1.10",
		"ffmpeg version 6.1.1-3ubuntu5 Copyright (c) 2000-2023 the FFmpeg developers":            "6.1.1-3ubuntu5",
		"something else": "something else",
	} {
		if got := parseVersion([]byte(in)); got != want {
			t.Errorf("parseVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
