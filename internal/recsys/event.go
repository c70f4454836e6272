package recsys

import "fmt"

// EventKind names what happened. The string forms are the ones stored in the event log.
type EventKind uint8

// Event kinds. Viewer events carry User and Video; catalogue events carry Video only.
const (
	Impression EventKind = iota + 1
	PlayStart
	Progress // WatchMS so far and PositionMS in the video
	Complete
	Loop
	Skip // WatchMS when known
	Replay
	Like
	Unlike
	Share
	Comment
	Follow        // Creator; Video is the video the follow came from, when there is one
	Unfollow      // Creator
	NotInterested // Target says whether Video, Creator or Hashtag is meant
	VideoPublished
	VideoRemoved
	// ProfileReset forgets what was learned about the viewer ("refresh my feed"). Explicit
	// choices (follows, not interested) and the watched list stay.
	ProfileReset
	// NotInterestedUndo takes back one not_interested mark: Target and Video, Creator or
	// Hashtag name the mark, as on the event that made it. What the mark already taught
	// (a video's turned-away signal) fades like any other learned signal.
	NotInterestedUndo
	// VideoUpdated says a published video's creator changed what describes it: Hashtags
	// (the whole new set) and Language ("" for unknown). Unlike a second VideoPublished it
	// does not make the video new again.
	VideoUpdated
	maxEventKind
)

var eventKindNames = [...]string{
	Impression:        "impression",
	PlayStart:         "play_start",
	Progress:          "progress",
	Complete:          "complete",
	Loop:              "loop",
	Skip:              "skip",
	Replay:            "replay",
	Like:              "like",
	Unlike:            "unlike",
	Share:             "share",
	Comment:           "comment",
	Follow:            "follow",
	Unfollow:          "unfollow",
	NotInterested:     "not_interested",
	VideoPublished:    "video_published",
	VideoRemoved:      "video_removed",
	ProfileReset:      "profile_reset",
	NotInterestedUndo: "not_interested_undo",
	VideoUpdated:      "video_updated",
}

func (k EventKind) String() string {
	if k > 0 && k < maxEventKind {
		return eventKindNames[k]
	}
	return fmt.Sprintf("event_kind(%d)", uint8(k))
}

// ParseEventKind maps a logged kind name back to its EventKind.
func ParseEventKind(s string) (EventKind, error) {
	for k := EventKind(1); k < maxEventKind; k++ {
		if eventKindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("recsys: unknown event kind %q", s)
}

// Target says what a not_interested event is about.
type Target uint8

// Targets of not_interested.
const (
	TargetVideo Target = iota
	TargetCreator
	TargetHashtag
)

// Event is one entry of the engagement log. The recommender's state is a pure function of
// the sequence of events applied, so every field it reads must come from the log (never from
// the clock at the time of applying).
type Event struct {
	// Seq is the log sequence number; it must increase from one applied event to the next.
	Seq uint64
	// TimeMS is when the event happened, in Unix milliseconds (0 if unknown). Time only
	// moves forward inside the model: an earlier time than the latest seen counts as the latest.
	TimeMS int64
	Kind   EventKind
	User   string
	Video  string
	// Creator is the followed creator (follow, unfollow), the creator marked not interested,
	// or the video's creator (video_published).
	Creator string
	// Hashtag is the hashtag marked not interested.
	Hashtag string
	Target  Target
	// WatchMS is how much of the video has been watched in this view; PositionMS is the
	// playhead. DurationMS is the video's length (video_published, or any viewer event).
	WatchMS, PositionMS, DurationMS int64
	// Hashtags describe a published video. Region and Language are the video's on
	// video_published and, optionally, the viewer's on viewer events (used for regional
	// trending and language match).
	Hashtags []string
	Region   string
	Language string
}

func (e *Event) validate() error {
	if e.Kind == 0 || e.Kind >= maxEventKind {
		return fmt.Errorf("recsys: event %d: unknown kind %d", e.Seq, e.Kind)
	}
	needUser := e.Kind != VideoPublished && e.Kind != VideoRemoved && e.Kind != VideoUpdated
	if needUser && e.User == "" {
		return fmt.Errorf("recsys: event %d (%s): missing user", e.Seq, e.Kind)
	}
	switch e.Kind {
	case Follow, Unfollow:
		if e.Creator == "" {
			return fmt.Errorf("recsys: event %d (%s): missing creator", e.Seq, e.Kind)
		}
	case NotInterested, NotInterestedUndo:
		switch e.Target {
		case TargetVideo:
			if e.Video == "" {
				return fmt.Errorf("recsys: event %d (%s video): missing video", e.Seq, e.Kind)
			}
		case TargetCreator:
			if e.Creator == "" {
				return fmt.Errorf("recsys: event %d (%s creator): missing creator", e.Seq, e.Kind)
			}
		case TargetHashtag:
			if e.Hashtag == "" {
				return fmt.Errorf("recsys: event %d (%s hashtag): missing hashtag", e.Seq, e.Kind)
			}
		default:
			return fmt.Errorf("recsys: event %d: unknown %s target %d", e.Seq, e.Kind, e.Target)
		}
	case ProfileReset:
	default:
		if e.Video == "" {
			return fmt.Errorf("recsys: event %d (%s): missing video", e.Seq, e.Kind)
		}
	}
	return nil
}
