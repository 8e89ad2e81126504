//! Attachments (附件) of a project: which files a unit may upload (PDF, Word, Excel, JPG and
//! PNG, recognised by extension and by their first bytes, so that a renamed program is
//! refused), how large, how many per project, and the file name as it is stored and offered
//! on download (the last path component, without control or reserved characters). No IO.

use crate::rejection::Rejection;

/// One attachment holds at most this many bytes (5 MB: below the server's 8 MB request
/// limit, so that a too large file gets this rule's message and not a bare 413).
pub const ATTACHMENT_BYTES_MAX: usize = 5 * 1024 * 1024;
/// A project holds at most this many attachments.
pub const ATTACHMENTS_PER_PROJECT_MAX: usize = 20;
/// A stored file name holds at most this many characters (its extension kept).
pub const FILE_NAME_CHARS_MAX: usize = 100;

/// The kinds of file accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    /// Word 97–2003 (`.doc`).
    Doc,
    Docx,
    /// Excel 97–2003 (`.xls`).
    Xls,
    Xlsx,
    Jpg,
    Png,
}

/// The first bytes of an OLE compound file (.doc, .xls).
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// The first bytes of a zip archive (.docx, .xlsx).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Pdf,
        FileKind::Doc,
        FileKind::Docx,
        FileKind::Xls,
        FileKind::Xlsx,
        FileKind::Jpg,
        FileKind::Png,
    ];

    /// The stored code, also the extension of the stored name.
    pub fn code(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Doc => "doc",
            FileKind::Docx => "docx",
            FileKind::Xls => "xls",
            FileKind::Xlsx => "xlsx",
            FileKind::Jpg => "jpg",
            FileKind::Png => "png",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Doc | FileKind::Docx => "Word",
            FileKind::Xls | FileKind::Xlsx => "Excel",
            FileKind::Jpg => "JPG 图片",
            FileKind::Png => "PNG 图片",
        }
    }

    /// The media type a download is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Doc => "application/msword",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xls => "application/vnd.ms-excel",
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Jpg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }

    pub fn parse(code: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The kind an extension names (`jpeg` is `jpg`), case-insensitive.
    fn of_extension(extension: &str) -> Option<FileKind> {
        match extension.to_ascii_lowercase().as_str() {
            "jpeg" => Some(FileKind::Jpg),
            other => FileKind::parse(other),
        }
    }

    /// Do the first bytes fit the kind?
    fn matches(self, bytes: &[u8]) -> bool {
        match self {
            FileKind::Pdf => bytes.starts_with(b"%PDF-"),
            FileKind::Doc | FileKind::Xls => bytes.starts_with(OLE_MAGIC),
            FileKind::Docx | FileKind::Xlsx => bytes.starts_with(ZIP_MAGIC),
            FileKind::Jpg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            FileKind::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        }
    }
}

/// An upload that may be stored: its sanitised name and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedUpload {
    pub file_name: String,
    pub kind: FileKind,
}

/// The rules of one upload, in this order: a file was given, its size, its name's extension,
/// its first bytes, then the number per project (`n_existing`: the attachments the project
/// already has).
pub fn check_upload(
    file_name: &str,
    bytes: &[u8],
    n_existing: usize,
) -> Result<CheckedUpload, Rejection> {
    let name = sanitise_file_name(file_name);
    if bytes.is_empty() || name.is_empty() {
        return Err(Rejection::FieldRequired { field: "附件" });
    }
    if bytes.len() > ATTACHMENT_BYTES_MAX {
        return Err(Rejection::AttachmentTooLarge {
            bytes_max: ATTACHMENT_BYTES_MAX,
        });
    }
    let refused = || Rejection::AttachmentTypeNotAllowed {
        file_name: name.clone(),
    };
    let (stem, extension) = name.rsplit_once('.').ok_or_else(refused)?;
    let kind = FileKind::of_extension(extension).ok_or_else(refused)?;
    if !kind.matches(bytes) {
        return Err(refused());
    }
    if n_existing >= ATTACHMENTS_PER_PROJECT_MAX {
        return Err(Rejection::AttachmentsExceeded {
            n_max: ATTACHMENTS_PER_PROJECT_MAX,
        });
    }
    // No hidden file (`.name.pdf`), and a name that was all extension gets a plain one.
    let stem = match stem.trim_start_matches('.').trim() {
        "" => "附件".to_owned(),
        stem => stem.to_owned(),
    };
    let stem_chars_max = FILE_NAME_CHARS_MAX - 1 - kind.code().len();
    let stem: String = stem.chars().take(stem_chars_max).collect();
    Ok(CheckedUpload {
        file_name: format!("{}.{}", stem.trim(), kind.code()),
        kind,
    })
}

/// The name a browser sent, made safe to store and to put in a download header: the last
/// component of a path (browsers on Windows once sent `C:\…\name`), control characters and
/// the characters reserved in file names and headers removed, runs of spaces collapsed.
pub fn sanitise_file_name(file_name: &str) -> String {
    const RESERVED: [char; 12] = ['<', '>', ':', '"', '/', '\\', '|', '?', '*', ';', '%', '`'];
    let last = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !RESERVED.contains(c))
        .collect();
    let collapsed = cleaned
        .split(' ')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>();
    collapsed.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n...";

    fn outcome(name: &str, bytes: &[u8], n_existing: usize) -> String {
        match check_upload(name, bytes, n_existing) {
            Ok(upload) => format!("{} {}", upload.kind.code(), upload.file_name),
            Err(rejection) => rejection.code(),
        }
    }

    #[test]
    fn rules_of_an_upload() {
        let png: &[u8] = b"\x89PNG\r\n\x1a\n....";
        let docx: &[u8] = b"PK\x03\x04....";
        let ole: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0];
        let jpg: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0];
        let big = vec![b'%'; ATTACHMENT_BYTES_MAX + 1];
        let cases: &[(&str, &[u8], usize, &str)] = &[
            ("可行性研究报告.pdf", PDF, 0, "pdf 可行性研究报告.pdf"),
            ("报价单.PDF", PDF, 0, "pdf 报价单.pdf"),
            ("现场照片.jpeg", jpg, 0, "jpg 现场照片.jpg"),
            ("示意图.png", png, 19, "png 示意图.png"),
            ("测算表.xlsx", docx, 0, "xlsx 测算表.xlsx"),
            ("申报书.docx", docx, 0, "docx 申报书.docx"),
            ("旧表.xls", ole, 0, "xls 旧表.xls"),
            ("旧文.doc", ole, 0, "doc 旧文.doc"),
            (
                "C:\\Users\\张三\\预算 说明.pdf",
                PDF,
                0,
                "pdf 预算 说明.pdf",
            ),
            ("../../etc/passwd.pdf", PDF, 0, "pdf passwd.pdf"),
            ("a<b>|c\u{7}.pdf", PDF, 0, "pdf abc.pdf"),
            (".pdf", PDF, 0, "pdf 附件.pdf"),
            (".hidden.pdf", PDF, 0, "pdf hidden.pdf"),
            ("", PDF, 0, "field_required"),
            ("空.pdf", b"", 0, "field_required"),
            ("大.pdf", &big, 0, "attachment_too_large"),
            ("setup.exe", b"MZ....", 0, "attachment_type_not_allowed"),
            ("无扩展名", PDF, 0, "attachment_type_not_allowed"),
            (
                "改名的程序.pdf",
                b"MZ....",
                0,
                "attachment_type_not_allowed",
            ),
            ("伪装.png", jpg, 0, "attachment_type_not_allowed"),
            ("第21个.pdf", PDF, 20, "attachments_exceeded"),
        ];
        for (name, bytes, n_existing, expected) in cases {
            assert_eq!(outcome(name, bytes, *n_existing), *expected, "case {name}");
        }
    }

    #[test]
    fn a_long_name_keeps_its_extension() {
        let name = format!("{}.pdf", "长".repeat(300));
        let upload = check_upload(&name, PDF, 0).unwrap_or_else(|r| panic!("{r:?}"));
        assert_eq!(upload.file_name.chars().count(), FILE_NAME_CHARS_MAX);
        assert!(upload.file_name.ends_with("长.pdf"));
        for kind in FileKind::ALL {
            assert_eq!(FileKind::parse(kind.code()), Some(kind));
            assert!(!kind.label().is_empty() && kind.content_type().contains('/'));
        }
    }
}
