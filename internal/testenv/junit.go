package testenv

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ValidateJUnit checks that data is JUnit XML as GitHub, GitLab and Jenkins
// read it (the Jenkins/Ant schema, JUnit.xsd): well-formed XML whose root
// is <testsuites> or <testsuite>; every <testsuite> has a name and tests,
// failures, errors and skipped counts that are whole numbers equal to its
// test cases; every <testcase> has a name and a classname and at most one
// of <failure>, <error> and <skipped>, and <failure> and <error> carry a
// message; <testsuites>' counts, when given, are the sums of its suites';
// no other element appears.
func ValidateJUnit(data []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var root *node
	var stack []*node
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return errors.New("more than one root element")
				}
				root = n
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return errors.New("no root element")
	}
	switch root.name {
	case "testsuite":
		_, err := validateSuite(root)
		return err
	case "testsuites":
	default:
		return fmt.Errorf("the root is <%s>, not <testsuites> or <testsuite>", root.name)
	}
	var sum [4]int
	for _, c := range root.children {
		if c.name != "testsuite" {
			return fmt.Errorf("<testsuites> holds <%s>", c.name)
		}
		counts, err := validateSuite(c)
		if err != nil {
			return err
		}
		for i := range sum {
			sum[i] += counts[i]
		}
	}
	for i, attr := range countAttrs {
		v, ok := root.attrs[attr]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n != sum[i] {
			return fmt.Errorf("<testsuites %s=%q>, but its suites sum to %d", attr, v, sum[i])
		}
	}
	return nil
}

type node struct {
	name     string
	attrs    map[string]string
	children []*node
}

var countAttrs = []string{"tests", "failures", "errors", "skipped"}

// validateSuite checks one <testsuite> and returns its tests, failures,
// errors and skipped.
func validateSuite(s *node) ([4]int, error) {
	var got [4]int
	if s.attrs["name"] == "" {
		return got, errors.New("a <testsuite> has no name")
	}
	for _, c := range s.children {
		switch c.name {
		case "properties", "system-out", "system-err":
			continue
		case "testcase":
		default:
			return got, fmt.Errorf("<testsuite %s> holds <%s>", s.attrs["name"], c.name)
		}
		got[0]++
		if c.attrs["name"] == "" || c.attrs["classname"] == "" {
			return got, fmt.Errorf("a <testcase> of %s lacks its name or classname", s.attrs["name"])
		}
		outcomes := 0
		for _, o := range c.children {
			switch o.name {
			case "failure", "error":
				if _, ok := o.attrs["message"]; !ok {
					return got, fmt.Errorf("<%s> of %s has no message", o.name, c.attrs["name"])
				}
				if o.name == "failure" {
					got[1]++
				} else {
					got[2]++
				}
				outcomes++
			case "skipped":
				got[3]++
				outcomes++
			case "system-out", "system-err":
			default:
				return got, fmt.Errorf("<testcase %s> holds <%s>", c.attrs["name"], o.name)
			}
		}
		if outcomes > 1 {
			return got, fmt.Errorf("<testcase %s> has %d outcomes (failure, error, skipped): at most one", c.attrs["name"], outcomes)
		}
	}
	for i, attr := range countAttrs {
		v, ok := s.attrs[attr]
		if !ok {
			if attr == "tests" {
				return got, fmt.Errorf("<testsuite %s> has no tests count", s.attrs["name"])
			}
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n != got[i] {
			return got, fmt.Errorf("<testsuite %s %s=%q>, but it holds %d", s.attrs["name"], attr, v, got[i])
		}
	}
	return got, nil
}
