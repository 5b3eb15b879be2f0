//! Background machinery shared by the faces: the data-folder watcher (and, later, the worker
//! process protocol and the scheduler). Core module: no screen code.

pub mod watcher;
