package feed

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Venues: where a paper was accepted, read from its arXiv comment
// ("Accepted at NeurIPS 2025", "ICLR 2026 (Oral)", "To appear in CVPR
// 2026") and journal reference ("Transactions of the ACL, 2024"). The
// table below is the one list of venues the service knows, with the
// names and abbreviations authors write for each.

// venueTable lists the venues recognised: a key (for venue= filters), a
// display name, and the ways authors write it (matched as whole words,
// case-insensitively, except the abbreviations written in capitals).
var venueTable = []struct {
	key, name string
	aliases   []string
	journal   bool
}{
	{"neurips", "NeurIPS", []string{"NeurIPS", "NIPS", "Neural Information Processing Systems"}, false},
	{"icml", "ICML", []string{"ICML", "International Conference on Machine Learning"}, false},
	{"iclr", "ICLR", []string{"ICLR", "International Conference on Learning Representations"}, false},
	{"cvpr", "CVPR", []string{"CVPR", "Computer Vision and Pattern Recognition"}, false},
	{"iccv", "ICCV", []string{"ICCV", "International Conference on Computer Vision"}, false},
	{"eccv", "ECCV", []string{"ECCV", "European Conference on Computer Vision"}, false},
	{"wacv", "WACV", []string{"WACV", "Winter Conference on Applications of Computer Vision"}, false},
	{"bmvc", "BMVC", []string{"BMVC", "British Machine Vision Conference"}, false},
	{"3dv", "3DV", []string{"3DV", "International Conference on 3D Vision"}, false},
	{"acl", "ACL", []string{"ACL", "Annual Meeting of the Association for Computational Linguistics"}, false},
	{"emnlp", "EMNLP", []string{"EMNLP", "Empirical Methods in Natural Language Processing"}, false},
	{"naacl", "NAACL", []string{"NAACL", "North American Chapter of the Association for Computational Linguistics"}, false},
	{"eacl", "EACL", []string{"EACL", "European Chapter of the Association for Computational Linguistics"}, false},
	{"coling", "COLING", []string{"COLING", "International Conference on Computational Linguistics"}, false},
	{"colm", "COLM", []string{"COLM", "Conference on Language Modeling"}, false},
	{"aaai", "AAAI", []string{"AAAI"}, false},
	{"ijcai", "IJCAI", []string{"IJCAI", "International Joint Conference on Artificial Intelligence"}, false},
	{"aistats", "AISTATS", []string{"AISTATS", "Artificial Intelligence and Statistics"}, false},
	{"uai", "UAI", []string{"UAI", "Uncertainty in Artificial Intelligence"}, false},
	{"colt", "COLT", []string{"COLT", "Conference on Learning Theory"}, false},
	{"kdd", "KDD", []string{"KDD", "SIGKDD", "Knowledge Discovery and Data Mining"}, false},
	{"www", "WWW", []string{"WWW", "The Web Conference", "TheWebConf"}, false},
	{"sigir", "SIGIR", []string{"SIGIR"}, false},
	{"wsdm", "WSDM", []string{"WSDM"}, false},
	{"icwsm", "ICWSM", []string{"ICWSM"}, false},
	{"corl", "CoRL", []string{"CoRL", "Conference on Robot Learning"}, false},
	{"icra", "ICRA", []string{"ICRA", "International Conference on Robotics and Automation"}, false},
	{"iros", "IROS", []string{"IROS", "Intelligent Robots and Systems"}, false},
	{"rss", "RSS", []string{"Robotics: Science and Systems"}, false},
	{"miccai", "MICCAI", []string{"MICCAI", "Medical Image Computing and Computer Assisted Intervention"}, false},
	{"interspeech", "Interspeech", []string{"Interspeech"}, false},
	{"icassp", "ICASSP", []string{"ICASSP"}, false},
	{"siggraph", "SIGGRAPH", []string{"SIGGRAPH"}, false},
	{"mlsys", "MLSys", []string{"MLSys", "Conference on Machine Learning and Systems"}, false},
	{"stoc", "STOC", []string{"STOC", "Symposium on Theory of Computing"}, false},
	{"focs", "FOCS", []string{"FOCS", "Foundations of Computer Science"}, false},
	{"soda", "SODA", []string{"SODA", "Symposium on Discrete Algorithms"}, false},
	{"tmlr", "TMLR", []string{"TMLR", "Transactions on Machine Learning Research"}, true},
	{"jmlr", "JMLR", []string{"JMLR", "Journal of Machine Learning Research"}, true},
	{"tacl", "TACL", []string{"TACL", "Transactions of the Association for Computational Linguistics", "Transactions of the ACL"}, true},
	{"tpami", "TPAMI", []string{"TPAMI", "T-PAMI", "Transactions on Pattern Analysis and Machine Intelligence"}, true},
	{"ijcv", "IJCV", []string{"IJCV", "International Journal of Computer Vision"}, true},
	// Longer names first where one starts another: the first alternative
	// that matches wins.
	{"nature-mi", "Nature Machine Intelligence", []string{"Nature Machine Intelligence"}, true},
	{"nature-comms", "Nature Communications", []string{"Nature Communications", "Nat. Commun."}, true},
	{"nature", "Nature", []string{"Nature"}, true},
}

// VenueKeys are the keys a venue= filter accepts, in the table's order.
var VenueKeys = func() []string {
	out := make([]string, len(venueTable))
	for i, v := range venueTable {
		out[i] = v.key
	}
	return out
}()

// VenueName is the display name of a venue key ("" for none).
func VenueName(key string) string {
	for _, v := range venueTable {
		if v.key == key {
			return v.name
		}
	}
	return ""
}

// venueIsJournal reports whether a venue key names a journal.
func venueIsJournal(key string) bool {
	for _, v := range venueTable {
		if v.key == key {
			return v.journal
		}
	}
	return false
}

// Journal reports whether the venue is a journal.
func (v Venue) Journal() bool { return venueIsJournal(v.Key) }

// Venue is where a paper says it was accepted or published (Status
// "accepted" or "published"), or submitted ("submitted").
type Venue struct {
	Key    string `json:"key"`  // venueTable key, e.g. "neurips"
	Name   string `json:"name"` // "NeurIPS"
	Year   int    `json:"year,omitempty"`
	Status string `json:"status"`         // VenueAccepted, VenuePublished or VenueSubmitted
	Note   string `json:"note,omitempty"` // Oral, Spotlight, Findings, Workshop, ...
}

// Venue statuses.
const (
	VenueAccepted  = "accepted"
	VenuePublished = "published"
	VenueSubmitted = "submitted"
)

// Accepted reports whether the paper was accepted (or published) there.
func (v Venue) Accepted() bool { return v.Status == VenueAccepted || v.Status == VenuePublished }

// String is the venue as an item shows it: "NeurIPS 2025 (Oral)",
// "submitted to ICLR 2026".
func (v Venue) String() string {
	if v.Key == "" {
		return ""
	}
	s := v.Name
	if v.Year > 0 {
		s += " " + strconv.Itoa(v.Year)
	}
	if v.Note != "" {
		s += " (" + v.Note + ")"
	}
	if v.Status == VenueSubmitted {
		s = "submitted to " + s
	}
	return s
}

// venueRe matches any alias, as a whole word; group i+1 is venueTable[i].
var venueRe = func() *regexp.Regexp {
	var alts []string
	for _, v := range venueTable {
		var names []string
		for _, a := range v.aliases {
			q := regexp.QuoteMeta(a)
			if strings.ToUpper(a) != a || strings.ContainsAny(a, " .:") {
				q = "(?i:" + q + ")" // a written-out name: any case
			}
			names = append(names, q)
		}
		alts = append(alts, "("+strings.Join(names, "|")+")")
	}
	// A venue is a whole word: not inside another (NAACL is not ACL),
	// though a year may follow it directly (CVPR2024, NeurIPS'24).
	return regexp.MustCompile(`(?:^|[^A-Za-z0-9-])(?:` + strings.Join(alts, "|") + `)(?:[^A-Za-z]|$)`)
}()

var (
	yearNear    = regexp.MustCompile(`(?:^|[^0-9])((?:19|20)[0-9]{2})(?:[^0-9]|$)`)
	yearShort   = regexp.MustCompile(`^(?:['’]|-)([0-9]{2})(?:[^0-9]|$)`)
	yearGlued   = regexp.MustCompile(`^((?:19|20)[0-9]{2})`)
	clauseBreak = regexp.MustCompile(`;|\.\s+[A-Z]|\n|\s+-\s+`)
	noteWords   = []struct{ word, note string }{
		{"datasets and benchmarks", "Datasets and Benchmarks"}, {"d&b", "Datasets and Benchmarks"},
		{"workshop", "Workshop"}, {"findings", "Findings"}, {"oral", "Oral"}, {"spotlight", "Spotlight"},
		{"highlight", "Highlight"}, {"demo", "Demo"}, {"short paper", "Short paper"}, {"poster", "Poster"},
	}
	submittedWords = []string{"submitted", "under review", "under submission", "in submission", "in review", "to be submitted", "submission to"}
	refusedWords   = []string{"rejected", "withdrawn", "not accepted"}
	acceptedWords  = []string{"accepted", "accept ", "to appear", "appears in", "appeared in", "published", "camera-ready", "camera ready", "proceedings", "presented at"}
)

// ParseVenue reads where a paper was accepted from its arXiv comment and
// journal reference. A venue of the table named in the journal reference
// is where it was published; in the comment, the clause around the name
// says whether it was accepted (accepted, to appear, camera-ready, oral,
// a bare "ICLR 2026") or only submitted (submitted to, under review).
// When several venues are named, an acceptance wins over a submission,
// then the first named. The zero Venue means none was recognised.
func ParseVenue(comment, journalRef string) Venue {
	if v, ok := findVenue(journalRef, true); ok {
		return v
	}
	v, _ := findVenue(comment, false)
	return v
}

func findVenue(text string, journal bool) (Venue, bool) {
	if strings.TrimSpace(text) == "" {
		return Venue{}, false
	}
	var best Venue
	found := false
	for _, m := range venueRe.FindAllStringSubmatchIndex(text, -1) {
		i := -1
		for g := range venueTable {
			if m[2+2*g] >= 0 {
				i = g
				break
			}
		}
		if i < 0 {
			continue
		}
		start, end := m[2+2*i], m[3+2*i]
		v := readVenue(text, i, start, end, journal)
		if v.Key == "" {
			continue
		}
		if !found || (v.Accepted() && !best.Accepted()) || (best.Year == 0 && v.Year > 0 && v.Key == best.Key) {
			best, found = v, true
		}
	}
	return best, found
}

// readVenue reads the clause around a venue's name at text[start:end].
func readVenue(text string, i, start, end int, journal bool) Venue {
	t := venueTable[i]
	v := Venue{Key: t.key, Name: t.name, Status: VenueAccepted}
	if journal {
		v.Status = VenuePublished
	}
	// The clause: from the last break before the name to the first after.
	from := 0
	for _, b := range clauseBreak.FindAllStringIndex(text[:start], -1) {
		from = b[1] - 1
		if text[b[0]] == ';' || text[b[0]] == '\n' {
			from = b[1]
		}
	}
	to := len(text)
	if b := clauseBreak.FindStringIndex(text[end:]); b != nil {
		to = end + b[0]
	}
	clause := strings.ToLower(text[max(0, from):to])
	// The year: glued or right after the name (CVPR2024, NeurIPS'24,
	// AAAI-25), else a year in the clause.
	after := text[end:]
	switch {
	case yearGlued.MatchString(after):
		v.Year, _ = strconv.Atoi(yearGlued.FindStringSubmatch(after)[1])
	case yearShort.MatchString(after):
		n, _ := strconv.Atoi(yearShort.FindStringSubmatch(after)[1])
		if n >= 10 && n <= 40 {
			v.Year = 2000 + n
		}
	}
	if v.Year == 0 {
		if m := yearNear.FindStringSubmatch(clause); m != nil {
			v.Year, _ = strconv.Atoi(m[1])
		}
	}
	for _, w := range refusedWords {
		if strings.Contains(clause, w) {
			return Venue{}
		}
	}
	if !journal && slices.ContainsFunc(submittedWords, func(w string) bool { return strings.Contains(clause, w) }) &&
		!slices.ContainsFunc(acceptedWords, func(w string) bool { return strings.Contains(clause, w) }) {
		v.Status = VenueSubmitted
	}
	for _, n := range noteWords {
		if containsWord(clause, n.word) {
			v.Note = n.note
			break
		}
	}
	if t.journal && v.Note == "Workshop" {
		v.Note = ""
	}
	return v
}

// containsWord reports whether s holds w as a whole word.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isLetter(s[j-1])
		after := j+len(w) == len(s) || !isLetter(s[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
