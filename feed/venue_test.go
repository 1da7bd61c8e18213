package feed

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The venue parser over real arXiv comment and journal_ref strings
// (testdata/venues.tsv says where each comes from): every string must
// read as expected; the recognition rate is printed (the README quotes
// it).
func TestParseVenue(t *testing.T) {
	f, err := os.Open("testdata/venues.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var named, recognised, total, wrong int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("bad line %q", line)
		}
		field, text, want := cols[1], cols[2], cols[3]
		total++
		var v Venue
		if field == "journal_ref" {
			v = ParseVenue("", text)
		} else {
			v = ParseVenue(text, "")
		}
		got := "-"
		if v.Key != "" {
			got = v.Key + "/" + strconv.Itoa(v.Year) + "/" + v.Status
			if v.Note != "" {
				got += "/" + v.Note
			}
		}
		if want != "-" {
			named++
			if got == want {
				recognised++
			}
		}
		if got != want {
			wrong++
			t.Errorf("%s %q: read %s, want %s", field, text, got, want)
		}
	}
	if total < 60 {
		t.Errorf("only %d strings", total)
	}
	t.Logf("venue recognition: %d of %d strings that name a known venue read exactly (%.0f%%); %d strings in all, %d read wrong",
		recognised, named, 100*float64(recognised)/float64(named), total, wrong)
}

func TestVenueString(t *testing.T) {
	for _, c := range []struct {
		v    Venue
		want string
	}{
		{Venue{Key: "neurips", Name: "NeurIPS", Year: 2025, Status: VenueAccepted, Note: "Oral"}, "NeurIPS 2025 (Oral)"},
		{Venue{Key: "iclr", Name: "ICLR", Year: 2026, Status: VenueSubmitted}, "submitted to ICLR 2026"},
		{Venue{Key: "tacl", Name: "TACL", Status: VenuePublished}, "TACL"},
		{Venue{}, ""},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.v, got, c.want)
		}
	}
	_ = fmt.Sprint
}

func FuzzParseVenue(f *testing.F) {
	for _, s := range []string{"Accepted at NeurIPS 2025", "CVPR2024", "NeurIPS'23", "Submitted to ICLR 2026; accepted at ICML 2026", ""} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, comment, ref string) {
		v := ParseVenue(comment, ref)
		if v.Key != "" && (VenueName(v.Key) != v.Name || (v.Year != 0 && (v.Year < 1900 || v.Year > 2099))) {
			t.Fatalf("%q %q: %+v", comment, ref, v)
		}
	})
}
