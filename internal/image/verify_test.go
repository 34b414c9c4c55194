package image

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeysRoundTrip(t *testing.T) {
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kp := filepath.Join(dir, "key")
	if err := WritePrivateKeyFile(kp, priv); err != nil {
		t.Fatal(err)
	}
	priv2, err := ReadPrivateKeyFile(kp)
	if err != nil || !priv2.Equal(priv) {
		t.Fatalf("ReadPrivateKeyFile = %v, %v", priv2, err)
	}
	pub2, _, _ := GenerateKey()
	trust := filepath.Join(dir, "trusted")
	if err := os.WriteFile(trust, append(MarshalPublicKey(pub), MarshalPublicKey(pub2)...), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := ReadPublicKeysFile(trust)
	if err != nil || len(keys) != 2 || !keys[0].Equal(pub) || !keys[1].Equal(pub2) {
		t.Fatalf("ReadPublicKeysFile = %v, %v", keys, err)
	}
	if _, err := ParsePublicKeys([]byte("nothing")); err == nil {
		t.Fatal("ParsePublicKeys accepted no key")
	}
	if _, err := ParsePrivateKey(MarshalPublicKey(pub)); err == nil {
		t.Fatal("ParsePrivateKey accepted a public key")
	}
	msg := []byte("digest")
	sig := Sign(msg, priv)
	if err := Verify(msg, sig, keys); err != nil {
		t.Fatal(err)
	}
	if err := Verify(msg, sig, []ed25519.PublicKey{pub2}); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("Verify with the wrong key = %v", err)
	}
	if err := Verify(msg, nil, keys); !errors.Is(err, ErrNotSigned) {
		t.Fatalf("Verify without signature = %v", err)
	}
	dec, err := DecodeSignature(EncodeSignature(sig))
	if err != nil || string(dec) != string(sig) {
		t.Fatalf("DecodeSignature = %v", err)
	}
}

func TestVerifyFiles(t *testing.T) {
	pub, priv, _ := GenerateKey()
	otherPub, otherPriv, _ := GenerateKey()
	amd64 := Platform{OS: "linux", Arch: "amd64"}
	tests := []struct {
		name    string
		sign    ed25519.PrivateKey
		trusted []ed25519.PublicKey
		plat    Platform
		mutate  func(t *testing.T, dir string, f Files)
		want    string
		is      error
	}{
		{name: "unsigned, no keys", plat: amd64},
		{name: "signed", sign: priv, trusted: []ed25519.PublicKey{otherPub, pub}, plat: amd64},
		{name: "unsigned with keys", trusted: []ed25519.PublicKey{pub}, plat: amd64,
			want: "image nginx-nomad-amd64-13_1_1.1.13 is not signed", is: ErrNotSigned},
		{name: "bad signature", sign: otherPriv, trusted: []ed25519.PublicKey{pub}, plat: amd64,
			want: "signature does not match any trusted key", is: ErrSignatureMismatch},
		{name: "garbage signature", sign: priv, trusted: []ed25519.PublicKey{pub}, plat: amd64,
			mutate: func(t *testing.T, dir string, f Files) { writeFile(t, dir, f.Sig, "!!!") },
			want:   "bad signature file"},
		{name: "digest file altered after signing", sign: priv, trusted: []ed25519.PublicKey{pub}, plat: amd64,
			mutate: func(t *testing.T, dir string, f Files) { appendFile(t, dir, f.Digest, "\n") },
			is:     ErrSignatureMismatch},
		{name: "tarball tampered", plat: amd64,
			mutate: func(t *testing.T, dir string, f Files) { flipByte(t, filepath.Join(dir, f.Rootfs)) },
			want:   "digest mismatch", is: ErrDigestMismatch},
		{name: "tarball truncated", plat: amd64,
			mutate: func(t *testing.T, dir string, f Files) { os.Truncate(filepath.Join(dir, f.Rootfs), 10) },
			want:   "truncated download?", is: ErrDigestMismatch},
		{name: "manifest tampered", plat: amd64,
			mutate: func(t *testing.T, dir string, f Files) { flipByte(t, filepath.Join(dir, f.Manifest)) },
			is:     ErrDigestMismatch},
		{name: "digest file missing", plat: amd64,
			mutate: func(t *testing.T, dir string, f Files) { os.Remove(filepath.Join(dir, f.Digest)) },
			want:   "read digest file"},
		{name: "digest file garbage", plat: amd64,
			mutate: func(t *testing.T, dir string, f Files) { writeFile(t, dir, f.Digest, "hello\n") },
			is:     ErrBadDigestFile},
		{name: "wrong arch", plat: Platform{OS: "linux", Arch: "arm64"},
			want: "image nginx-nomad-amd64-13_1_1.1.13 is for amd64, this node is arm64", is: ErrWrongPlatform},
		{name: "wrong os", plat: Platform{OS: "freebsd", Arch: "amd64"},
			want: "is for linux, this node is freebsd", is: ErrWrongPlatform},
	}
	src := t.TempDir()
	makeTree(t, src, sampleTree)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			m := testManifest()
			if _, err := Build(src, m, out); err != nil {
				t.Fatal(err)
			}
			if tt.sign != nil {
				if err := SignFiles(out, m.Name, m.Tag, tt.sign); err != nil {
					t.Fatal(err)
				}
			}
			f, _ := FileNames(m.Name, m.Tag)
			if tt.mutate != nil {
				tt.mutate(t, out, f)
			}
			got, err := VerifyFilesFor(out, m.Name, m.Tag, tt.trusted, tt.plat)
			if tt.want == "" && tt.is == nil {
				if err != nil || got.Name != m.Name {
					t.Fatalf("VerifyFiles = %v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("VerifyFiles error = %v, want %q / %v", err, tt.want, tt.is)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, dir, name, content string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name, string(b)+content)
}

func flipByte(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
