//! Attachments of a project: the unit's clerk uploads, lists, downloads and deletes files of a
//! draft, each with an audit row; every refusal (type, size, count, role, scope, state) leaves
//! the attachments as they were.

use fiscus_core::project::attachment::{ATTACHMENT_BYTES_MAX, ATTACHMENTS_PER_PROJECT_MAX};
use fiscus_store::audit::AuditQuery;
use fiscus_store::testing::TestDb;

use crate::setup::*;
use crate::support::*;

fiscus_store::on_both_backends!(attachments_of_a_draft, attachment_refusals_change_nothing,);

pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

/// The attachments of `pro_id` as `name size` lines, read by the clerk, sorted (uploads in
/// one second have no order of their own).
async fn listed(world: &World, pro_id: &str) -> Vec<String> {
    let mut lines: Vec<String> = world
        .app
        .project_attachments(&world.cast.clerk, pro_id)
        .await
        .expect("list")
        .iter()
        .map(|row| format!("{} {}", row.file_name, row.size_bytes))
        .collect();
    lines.sort();
    lines
}

async fn attachments_of_a_draft(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let clerk = &world.cast.clerk;
    let pro_id = create(&world).await;
    let row = app
        .project_attach(clerk, &pro_id, "C:\\材料\\可行性研究报告.pdf", PDF, &ctx())
        .await
        .expect("uploaded");
    assert_eq!(row.file_name, "可行性研究报告.pdf", "the name is sanitised");
    assert_eq!(row.file_kind, "pdf");
    assert_eq!(row.content_sm3.len(), 64);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    app.project_attach(clerk, &pro_id, "现场照片.png", png, &ctx())
        .await
        .expect("uploaded");
    let mut expected = vec![
        format!("可行性研究报告.pdf {}", PDF.len()),
        format!("现场照片.png {}", png.len()),
    ];
    expected.sort();
    assert_eq!(listed(&world, &pro_id).await, expected);
    // Whoever may see the project downloads the same bytes.
    for who in [clerk, &world.dept_reviewer, &world.cast.budget] {
        let (got, bytes) = app
            .project_attachment(who, &pro_id, &row.att_id)
            .await
            .expect("download");
        assert_eq!(bytes, PDF);
        assert_eq!(got, row);
    }
    app.project_detach(clerk, &pro_id, &row.att_id, &ctx())
        .await
        .expect("deleted");
    assert_eq!(
        listed(&world, &pro_id).await,
        [format!("现场照片.png {}", png.len())]
    );
    let gone = app.project_attachment(clerk, &pro_id, &row.att_id).await;
    assert_eq!(code(&gone), "not_found");
    // Each upload and delete is in the audit log.
    let admin = &world.cast.admin;
    let query = AuditQuery {
        entity: Some("project_attachment".into()),
        page: 1,
        page_size: 50,
        ..AuditQuery::default()
    };
    let (log, _) = app.audit_log(admin, query).await.expect("audit");
    let mut actions: Vec<&str> = log.iter().map(|row| row.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["attach", "attach", "detach"]);
}

async fn attachment_refusals_change_nothing(test_db: TestDb) {
    let world = world(&test_db).await;
    let app = &world.app;
    let clerk = &world.cast.clerk;
    let pro_id = create(&world).await;
    app.project_attach(clerk, &pro_id, "报价单.pdf", PDF, &ctx())
        .await
        .expect("uploaded");
    let before = listed(&world, &pro_id).await;
    let too_large = {
        let mut bytes = PDF.to_vec();
        bytes.resize(ATTACHMENT_BYTES_MAX + 1, b' ');
        bytes
    };
    let cases: Vec<(&str, &fiscus_core::Principal, &str, &[u8], &str)> = vec![
        (
            "program",
            clerk,
            "setup.exe",
            b"MZ\x90\0",
            "attachment_type_not_allowed",
        ),
        (
            "renamed program",
            clerk,
            "说明.pdf",
            b"MZ\x90\0",
            "attachment_type_not_allowed",
        ),
        ("empty", clerk, "空.pdf", b"", "field_required"),
        (
            "too large",
            clerk,
            "大文件.pdf",
            &too_large,
            "attachment_too_large",
        ),
        (
            "budget division",
            &world.cast.budget,
            "a.pdf",
            PDF,
            "forbidden",
        ),
        (
            "department reviewer",
            &world.dept_reviewer,
            "a.pdf",
            PDF,
            "forbidden",
        ),
        (
            "another unit",
            &world.cast.outsider,
            "a.pdf",
            PDF,
            "not_found",
        ),
    ];
    for (name, who, file_name, bytes, expected) in cases {
        let result = app
            .project_attach(who, &pro_id, file_name, bytes, &ctx())
            .await;
        assert_eq!(code(&result), expected, "case {name}");
        assert_eq!(listed(&world, &pro_id).await, before, "case {name}");
    }
    let outsider_reads = app.project_attachments(&world.cast.outsider, &pro_id).await;
    assert_eq!(code(&outsider_reads), "not_found");
    let first = app.project_attachments(clerk, &pro_id).await.expect("list")[0]
        .att_id
        .clone();
    let outsider_gets = app
        .project_attachment(&world.cast.outsider, &pro_id, &first)
        .await;
    assert_eq!(code(&outsider_gets), "not_found");
    let outsider_deletes = app
        .project_detach(&world.cast.outsider, &pro_id, &first, &ctx())
        .await;
    assert_eq!(code(&outsider_deletes), "not_found");
    // An id of another project's file names nothing here.
    let other = create(&world).await;
    let wrong_project = app.project_detach(clerk, &other, &first, &ctx()).await;
    assert_eq!(code(&wrong_project), "not_found");
    assert_eq!(listed(&world, &pro_id).await, before);

    // At most 20 per project.
    for n in 1..ATTACHMENTS_PER_PROJECT_MAX {
        app.project_attach(clerk, &pro_id, &format!("附件{n}.pdf"), PDF, &ctx())
            .await
            .expect("uploaded");
    }
    let full = listed(&world, &pro_id).await;
    assert_eq!(full.len(), ATTACHMENTS_PER_PROJECT_MAX);
    let one_more = app
        .project_attach(clerk, &pro_id, "第21个.pdf", PDF, &ctx())
        .await;
    assert_eq!(code(&one_more), "attachments_exceeded");
    assert_eq!(listed(&world, &pro_id).await, full);

    // Declared: the files are part of the declaration and stay as they are.
    app.project_declare(clerk, &pro_id, &ctx())
        .await
        .expect("declared");
    let late_upload = app
        .project_attach(clerk, &pro_id, "补充.pdf", PDF, &ctx())
        .await;
    assert_eq!(code(&late_upload), "project_state_forbids");
    let late_delete = app.project_detach(clerk, &pro_id, &first, &ctx()).await;
    assert_eq!(code(&late_delete), "project_state_forbids");
    assert_eq!(listed(&world, &pro_id).await, full);
}
