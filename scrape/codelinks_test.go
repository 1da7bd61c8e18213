package scrape

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFindCodeURL(t *testing.T) {
	for in, want := range map[string]string{
		"Code is available at https://github.com/hewei2001/ReachQA.":              "https://github.com/hewei2001/ReachQA",
		"(see https://github.com/modelscope/facechain).":                          "https://github.com/modelscope/facechain",
		"at https://github.com/YU-deep/ViF.git.":                                  "https://github.com/YU-deep/ViF",
		"https://github.com/modelscope/Trinity-RFT/tree/main/examples/rec_gsm8k.": "https://github.com/modelscope/Trinity-RFT",
		"our org https://github.com/lingo-iitgn/ hosts it":                        "",
		"gitlab: gitlab.com/group/project, and more":                              "https://gitlab.com/group/project",
		"demo at https://huggingface.co/spaces/user/demo!":                        "https://huggingface.co/spaces/user/demo",
		"https://codeberg.org/a/b;":                                               "https://codeberg.org/a/b",
		"http://www.github.com/A/B?tab=readme":                                    "https://github.com/A/B",
		"https://github.com/owner/repo#readme":                                    "https://github.com/owner/repo",
		"We thank GitHub for hosting.":                                            "",
		"https://example.com/github.com/x/y":                                      "https://github.com/x/y",
		"https://huggingface.co/datasets/x/y":                                     "",
		"":                                                                        "",
	} {
		if got := FindCodeURL(in); got != want {
			t.Errorf("FindCodeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// Precision of code detection on the real abstracts we hold: every link
// found must be a repository, and where HF states the paper's repository,
// the same one.
func TestCodeDetectionPrecisionOnRealAbstracts(t *testing.T) {
	files, err := filepath.Glob("../testdata/daily_papers_*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("recordings: %v, %v", files, err)
	}
	found, agree, known, missedKnown := 0, 0, 0, 0
	for _, name := range files {
		ps, err := ParseDailyPapersAPI(open(t, filepath.Base(name)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			u := FindCodeURL(p.Abstract)
			truth := strings.TrimSuffix(strings.ToLower(p.GitHubRepo), "/")
			if u != "" {
				found++
				if strings.Count(strings.TrimPrefix(u, "https://"), "/") != 2 {
					t.Errorf("%s: %q is not a repository link", p.ID, u)
				}
			}
			if truth != "" {
				known++
				switch {
				case u == "":
					missedKnown++
				case strings.HasPrefix(truth, strings.ToLower(u)):
					agree++
				default:
					t.Errorf("%s: found %q, HF says %q", p.ID, u, p.GitHubRepo)
				}
			}
		}
	}
	t.Logf("code links found in %d real abstracts; %d of %d with an HF repository agree (the other %d abstracts name no link)",
		found, agree, known, missedKnown)
	if found < 20 {
		t.Errorf("found only %d code links", found)
	}
}
