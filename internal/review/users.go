package review

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modgate/modgate"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"
)

// User is one reviewer account in the users file.
type User struct {
	Name string `json:"name" yaml:"name"`
	Role string `json:"role" yaml:"role"`
	Hash string `json:"hash" yaml:"hash"` // bcrypt
}

type usersFile struct {
	Users []User `json:"users" yaml:"users"`
}

// Errors of the user store.
var (
	ErrBadCredentials = errors.New("review: wrong user name or password")
	ErrUserExists     = errors.New("review: user exists")
	ErrNoUser         = errors.New("review: no such user")
)

// RoleRank orders roles: reviewer < lead < admin; unknown roles rank 0.
func RoleRank(role string) int {
	switch role {
	case modgate.RoleReviewer:
		return 1
	case modgate.RoleLead:
		return 2
	case modgate.RoleAdmin:
		return 3
	}
	return 0
}

// ValidUserName accepts 1..64 of [A-Za-z0-9._-@].
func ValidUserName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-@", c)) {
			return false
		}
	}
	return true
}

// MinPasswordLen is the shortest accepted password.
const MinPasswordLen = 8

// Users is the users file (JSON, or YAML when named *.yaml/*.yml). It
// re-reads the file when it changes, so `modgate user add` takes effect on a
// running server without a restart.
type Users struct {
	path  string
	mu    sync.Mutex
	mtime time.Time
	size  int64
	users []User
}

// OpenUsers loads path; a missing file is an empty user list (the CLI
// creates it).
func OpenUsers(path string) (*Users, error) {
	u := &Users{path: path}
	if err := u.reload(true); err != nil {
		return nil, err
	}
	return u, nil
}

// Path is the users file.
func (u *Users) Path() string { return u.path }

func isYAML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

func parseUsers(path string, b []byte) ([]User, error) {
	var f usersFile
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if isYAML(path) {
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("review: users file %s: %w", path, err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("review: users file %s: %w", path, err)
		}
	}
	seen := map[string]bool{}
	for i, x := range f.Users {
		switch {
		case !ValidUserName(x.Name):
			return nil, fmt.Errorf("review: users file %s: user %d: invalid name %q", path, i+1, x.Name)
		case seen[x.Name]:
			return nil, fmt.Errorf("review: users file %s: user %q listed twice", path, x.Name)
		case RoleRank(x.Role) == 0:
			return nil, fmt.Errorf("review: users file %s: user %q: role %q is not reviewer, lead or admin", path, x.Name, x.Role)
		}
		if _, err := bcrypt.Cost([]byte(x.Hash)); err != nil {
			return nil, fmt.Errorf("review: users file %s: user %q: hash is not bcrypt: %w", path, x.Name, err)
		}
		seen[x.Name] = true
	}
	return f.Users, nil
}

func (u *Users) reload(force bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	st, err := os.Stat(u.path)
	if errors.Is(err, os.ErrNotExist) {
		u.users, u.mtime, u.size = nil, time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("review: users file: %w", err)
	}
	if !force && st.ModTime().Equal(u.mtime) && st.Size() == u.size {
		return nil
	}
	b, err := os.ReadFile(u.path)
	if err != nil {
		return fmt.Errorf("review: users file: %w", err)
	}
	users, err := parseUsers(u.path, b)
	if err != nil {
		return err
	}
	u.users, u.mtime, u.size = users, st.ModTime(), st.Size()
	return nil
}

// dummyHash keeps unknown-user logins as slow as wrong-password ones.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("modgate-dummy-password"), bcrypt.DefaultCost)

// Authenticate checks a password and returns the user.
func (u *Users) Authenticate(name, password string) (User, error) {
	if err := u.reload(false); err != nil {
		// A broken edit keeps the last good list.
		_ = err
	}
	u.mu.Lock()
	var found *User
	for i := range u.users {
		if u.users[i].Name == name {
			x := u.users[i]
			found = &x
		}
	}
	u.mu.Unlock()
	if found == nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(found.Hash), []byte(password)) != nil {
		return User{}, ErrBadCredentials
	}
	return *found, nil
}

// Lookup returns a user by name (roles may change while a session lives).
func (u *Users) Lookup(name string) (User, bool) {
	_ = u.reload(false)
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.users {
		if x.Name == name {
			return x, true
		}
	}
	return User{}, false
}

// List returns the users sorted by name, without hashes.
func (u *Users) List() []User {
	_ = u.reload(false)
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]User, 0, len(u.users))
	for _, x := range u.users {
		out = append(out, User{Name: x.Name, Role: x.Role})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Modify applies fn to the users list and writes the file atomically.
func (u *Users) Modify(fn func([]User) ([]User, error)) error {
	if err := u.reload(true); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	next, err := fn(append([]User(nil), u.users...))
	if err != nil {
		return err
	}
	sort.Slice(next, func(i, j int) bool { return next[i].Name < next[j].Name })
	var b []byte
	if isYAML(u.path) {
		b, err = yaml.Marshal(usersFile{Users: next})
	} else {
		b, err = json.MarshalIndent(usersFile{Users: next}, "", "  ")
		b = append(b, '\n')
	}
	if err != nil {
		return fmt.Errorf("review: encode users: %w", err)
	}
	if err := writeAtomic(u.path, b); err != nil {
		return err
	}
	u.users = next
	if st, err := os.Stat(u.path); err == nil {
		u.mtime, u.size = st.ModTime(), st.Size()
	}
	return nil
}

// writeAtomic writes via a temp file in the same directory and a rename,
// so a reader never sees half a file.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("review: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("review: write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("review: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("review: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("review: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("review: write %s: %w", path, err)
	}
	return nil
}

// BcryptCost is the cost of new hashes (tests lower it).
var BcryptCost = bcrypt.DefaultCost

// HashPassword bcrypt-hashes a password after checking its length.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen {
		return "", fmt.Errorf("review: password must have at least %d characters", MinPasswordLen)
	}
	if len(password) > 72 {
		return "", fmt.Errorf("review: password must have at most 72 bytes (bcrypt limit)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("review: hash password: %w", err)
	}
	return string(h), nil
}

// AddUser adds name with role and password.
func (u *Users) AddUser(name, role, password string) error {
	if !ValidUserName(name) {
		return fmt.Errorf("review: invalid user name %q (1-64 of A-Z a-z 0-9 . _ - @)", name)
	}
	if RoleRank(role) == 0 {
		return fmt.Errorf("review: role %q is not reviewer, lead or admin", role)
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	return u.Modify(func(us []User) ([]User, error) {
		for _, x := range us {
			if x.Name == name {
				return nil, fmt.Errorf("%w: %s", ErrUserExists, name)
			}
		}
		return append(us, User{Name: name, Role: role, Hash: h}), nil
	})
}

// SetPassword changes name's password (and role when role is not empty).
func (u *Users) SetPassword(name, role, password string) error {
	if role != "" && RoleRank(role) == 0 {
		return fmt.Errorf("review: role %q is not reviewer, lead or admin", role)
	}
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	return u.Modify(func(us []User) ([]User, error) {
		for i := range us {
			if us[i].Name == name {
				us[i].Hash = h
				if role != "" {
					us[i].Role = role
				}
				return us, nil
			}
		}
		return nil, fmt.Errorf("%w: %s", ErrNoUser, name)
	})
}

// RemoveUser deletes name.
func (u *Users) RemoveUser(name string) error {
	return u.Modify(func(us []User) ([]User, error) {
		for i := range us {
			if us[i].Name == name {
				return append(us[:i], us[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("%w: %s", ErrNoUser, name)
	})
}
