// Package media keeps the operator's image and video files: it stores their
// bytes, finds out what they really are, and hands them to the platforms.
//
// Three parts compose:
//
//   - A [Store] keeps bytes under content-addressed keys ([KeyFor]). [Disk]
//     is the local-folder backend; an S3-compatible backend follows the same
//     contract. A Store writes atomically: an object is visible under its key
//     only once it is complete, and a failed write leaves nothing behind.
//   - [Probe] decides a file's type from its content, never from its name or
//     the client's Content-Type, and reads the facts the platforms' rules need
//     (image dimensions now; video dimensions and duration in a later
//     version). It refuses files it does not understand and images whose
//     dimensions would make decoding them a decompression bomb.
//   - A [Library] ties a Store to the media records in the database: Upload
//     streams a file into the Store under a size cap, probes it and records a
//     [snsos.MediaRef], deduplicating by content; Open, Delete and
//     PlatformMedia serve what was recorded.
//
// Nothing in this package holds a whole upload in memory: bytes are hashed
// while they are copied, and probing reads only the headers it needs.
package media
