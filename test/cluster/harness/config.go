package harness

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// mergeHCL returns base with extra merged in: extra's attributes replace
// base's of the same name, and a block of extra whose type and labels
// match a block of base is merged into it the same way (so extra may say
// `client { meta = {...} }` next to the harness's own client block); other
// blocks are added.
func mergeHCL(base, extra string) (string, error) {
	b, diags := hclwrite.ParseConfig([]byte(base), "base.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return "", fmt.Errorf("harness: base config: %s", diags.Error())
	}
	if strings.TrimSpace(extra) == "" {
		return string(b.Bytes()), nil
	}
	e, diags := hclwrite.ParseConfig([]byte(extra), "extra.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return "", fmt.Errorf("harness: extra HCL: %s", diags.Error())
	}
	mergeBody(b.Body(), e.Body())
	return string(b.Bytes()), nil
}

func mergeBody(dst, src *hclwrite.Body) {
	for name, attr := range src.Attributes() {
		dst.SetAttributeRaw(name, attr.Expr().BuildTokens(nil))
	}
	for _, blk := range src.Blocks() {
		if match := findBlock(dst, blk); match != nil {
			mergeBody(match.Body(), blk.Body())
			continue
		}
		dst.AppendBlock(blk)
	}
}

func findBlock(body *hclwrite.Body, like *hclwrite.Block) *hclwrite.Block {
	for _, b := range body.Blocks() {
		if b.Type() == like.Type() && strings.Join(b.Labels(), "\x00") == strings.Join(like.Labels(), "\x00") {
			return b
		}
	}
	return nil
}
