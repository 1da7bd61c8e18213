package main

import "regexp"

// arxivCategoryRe is the shape of an arXiv category such as cs.CL.
var arxivCategoryRe = regexp.MustCompile(`^[a-z]+(-[a-z]+)?(\.[A-Za-z]+(-[a-z]+)?)?$`)
