//! Powers-of-tau import (in progress).
